// A stand-in for libcuda.so.1, built by the CUDA tests (c++ -shared -fPIC), so that the binding layer
// and the project's kernels run on machines without a GPU: allocations are malloc'd and tracked (a leak,
// a double free or a copy past an allocation is seen), copies are memcpy, module loads record the image's
// magic, and a launch runs the kernel's own source (CUDAKernels/efficientnet_kernels.cu, compiled here as
// C++) for every block and thread in turn, so argument marshalling, indexing and padding are checked
// end to end. stub_fail() makes the next call of a function return an error code.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// What CUDA C gives a kernel, emulated: one thread at a time, so only kernels without barriers or
// shared memory run here (all of the project's do).
struct EmulatedDimension { unsigned int x, y, z; };
static thread_local EmulatedDimension blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__
#include "../../../CUDAKernels/efficientnet_kernels.cu"

extern "C" {

typedef int CUresult;
typedef unsigned long long CUdeviceptr;

enum { MAX_ALLOCATIONS = 4096 };
static struct { void *base; size_t bytes; } allocations[MAX_ALLOCATIONS];
static int device_count = 1, context_retains = 0, modules_loaded = 0, launches = 0;
static unsigned int image_magic = 0;
static char fail_name[64];
static CUresult fail_code = 0;
static unsigned int last_grid[3], last_block[3];

// Control and inspection, for the tests.
void stub_set_device_count(int count) { device_count = count; }
void stub_fail(const char *name, int code) { strncpy(fail_name, name, sizeof fail_name - 1); fail_code = code; }
int stub_live_allocations(void) {
  int live = 0;
  for (int i = 0; i < MAX_ALLOCATIONS; i++) live += allocations[i].base != 0;
  return live;
}
int stub_context_retains(void) { return context_retains; }
int stub_modules_loaded(void) { return modules_loaded; }
int stub_launches(void) { return launches; }
unsigned int stub_image_magic(void) { return image_magic; }
void stub_last_launch(unsigned int *grid, unsigned int *block) {
  memcpy(grid, last_grid, sizeof last_grid);
  memcpy(block, last_block, sizeof last_block);
}

static int failing(const char *name) {
  if (fail_code && strcmp(name, fail_name) == 0) { fail_name[0] = 0; return 1; }
  return 0;
}
#define FAIL(name) if (failing(name)) { CUresult code = fail_code; fail_code = 0; return code; }

// The allocation holding [address, address + bytes), or -1.
static int holding(CUdeviceptr address, size_t bytes) {
  for (int i = 0; i < MAX_ALLOCATIONS; i++) {
    uintptr_t base = (uintptr_t)allocations[i].base;
    if (base && address >= base && address + bytes <= base + allocations[i].bytes) return i;
  }
  return -1;
}

CUresult cuInit(unsigned int flags) { FAIL("cuInit"); return flags == 0 ? 0 : 1; }
CUresult cuDriverGetVersion(int *version) { FAIL("cuDriverGetVersion"); *version = 13000; return 0; }
CUresult cuDeviceGetCount(int *count) { FAIL("cuDeviceGetCount"); *count = device_count; return 0; }
CUresult cuDeviceGet(int *device, int ordinal) {
  FAIL("cuDeviceGet");
  if (ordinal < 0 || ordinal >= device_count) return 101;  // CUDA_ERROR_INVALID_DEVICE
  *device = ordinal;
  return 0;
}
CUresult cuDeviceGetName(char *name, int length, int device) {
  FAIL("cuDeviceGetName");
  strncpy(name, "Stub GPU", (size_t)length);
  return device < device_count ? 0 : 101;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, int device) { FAIL("cuDeviceTotalMem_v2"); *bytes = (size_t)8 << 30; return 0; }
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  FAIL("cuDeviceGetAttribute");
  *value = attribute == 75 ? 9 : attribute == 76 ? 0 : 0;
  return 0;
}
CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  FAIL("cuDevicePrimaryCtxRetain");
  context_retains++;
  *context = (void *)0x1000;
  return 0;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) { context_retains--; return 0; }
CUresult cuCtxSetCurrent(void *context) { FAIL("cuCtxSetCurrent"); return context ? 0 : 201; }
CUresult cuCtxSynchronize(void) { FAIL("cuCtxSynchronize"); return 0; }

#ifndef STUB_OMIT_ALLOCATION  // a second build without it plays an old driver
CUresult cuMemAlloc_v2(CUdeviceptr *address, size_t bytes) {
  FAIL("cuMemAlloc_v2");
  if (bytes == 0) return 1;  // CUDA_ERROR_INVALID_VALUE
  for (int i = 0; i < MAX_ALLOCATIONS; i++) {
    if (!allocations[i].base) {
      allocations[i].base = malloc(bytes);
      allocations[i].bytes = bytes;
      *address = (CUdeviceptr)(uintptr_t)allocations[i].base;
      return 0;
    }
  }
  return 2;  // CUDA_ERROR_OUT_OF_MEMORY
}
#endif
CUresult cuMemFree_v2(CUdeviceptr address) {
  for (int i = 0; i < MAX_ALLOCATIONS; i++) {
    if ((uintptr_t)allocations[i].base == address && address) {
      free(allocations[i].base);
      allocations[i].base = 0;
      return 0;
    }
  }
  return 1;  // a double free or a foreign address
}
CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source, size_t bytes) {
  FAIL("cuMemcpyHtoD_v2");
  if (holding(destination, bytes) < 0) return 1;
  memcpy((void *)(uintptr_t)destination, source, bytes);
  return 0;
}
CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes) {
  FAIL("cuMemcpyDtoH_v2");
  if (holding(source, bytes) < 0) return 1;
  memcpy(destination, (const void *)(uintptr_t)source, bytes);
  return 0;
}

CUresult cuModuleLoadData(void **module, const void *image) {
  FAIL("cuModuleLoadData");
  memcpy(&image_magic, image, sizeof image_magic);
  modules_loaded++;
  *module = (void *)0x2000;
  return 0;
}
CUresult cuModuleUnload(void *module) { modules_loaded--; return 0; }

}  // extern "C"

// A launch's parameters, read as the kernel's types.
struct Parameters {
  void **values;
  template <typename T> T at(int index) const { return *(T *)values[index]; }
  float *pointer(int index) const { return (float *)(uintptr_t)at<CUdeviceptr>(index); }
};

// The kernels a module holds, by name: each unpacks its parameters and calls the kernel itself.
struct Kernel {
  const char *name;
  int pointers;  // how many leading parameters are device pointers (checked to lie in allocations)
  void (*run)(const Parameters &);
};
static const Kernel kernels[] = {
  {"silu_inplace", 1, [](const Parameters &p) { silu_inplace(p.pointer(0), p.at<int>(1)); }},
  {"global_average_pool_nhwc", 2,
   [](const Parameters &p) {
     global_average_pool_nhwc(p.pointer(0), p.pointer(1), p.at<int>(2), p.at<int>(3), p.at<int>(4));
   }},
  {"convolution_nhwc", 4,
   [](const Parameters &p) {
     convolution_nhwc(p.pointer(0), p.pointer(1), p.pointer(2), p.pointer(3), p.at<int>(4), p.at<int>(5),
                      p.at<int>(6), p.at<int>(7), p.at<int>(8), p.at<int>(9), p.at<int>(10), p.at<int>(11),
                      p.at<int>(12), p.at<int>(13), p.at<int>(14), p.at<int>(15));
   }},
  {"depthwise_nhwc", 4,
   [](const Parameters &p) {
     depthwise_nhwc(p.pointer(0), p.pointer(1), p.pointer(2), p.pointer(3), p.at<int>(4), p.at<int>(5),
                    p.at<int>(6), p.at<int>(7), p.at<int>(8), p.at<int>(9), p.at<int>(10), p.at<int>(11),
                    p.at<int>(12), p.at<int>(13), p.at<int>(14));
   }},
  {"pointwise_nhwc", 6,
   [](const Parameters &p) {
     pointwise_nhwc(p.pointer(0), p.pointer(1), p.pointer(2), p.pointer(3), p.pointer(4), p.pointer(5),
                    p.at<int>(6), p.at<int>(7), p.at<int>(8), p.at<int>(9), p.at<int>(10));
   }},
  {"bias_activation_nhwc", 3,
   [](const Parameters &p) {
     bias_activation_nhwc(p.pointer(0), p.pointer(1), p.pointer(2), p.at<int>(3), p.at<int>(4), p.at<int>(5));
   }},
  {"scale_channels_nhwc", 2,
   [](const Parameters &p) {
     scale_channels_nhwc(p.pointer(0), p.pointer(1), p.at<int>(2), p.at<int>(3), p.at<int>(4));
   }},
};

extern "C" {

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  FAIL("cuModuleGetFunction");
  if (!module) return 400;  // CUDA_ERROR_INVALID_HANDLE
  for (const Kernel &kernel : kernels) {
    if (strcmp(kernel.name, name) == 0) {
      *function = (void *)&kernel;
      return 0;
    }
  }
  return 500;  // CUDA_ERROR_NOT_FOUND
}

CUresult cuLaunchKernel(void *function, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                        unsigned int by, unsigned int bz, unsigned int shared, void *stream, void **parameters,
                        void **extra) {
  FAIL("cuLaunchKernel");
  if (!function || !parameters || extra || !gx || !gy || !gz || !bx || !by || !bz || bx * by * bz > 1024) return 1;
  last_grid[0] = gx; last_grid[1] = gy; last_grid[2] = gz;
  last_block[0] = bx; last_block[1] = by; last_block[2] = bz;
  launches++;
  const Kernel *kernel = (const Kernel *)function;
  Parameters p{parameters};
  for (int index = 0; index < kernel->pointers; index++) {
    CUdeviceptr address = p.at<CUdeviceptr>(index);
    if (address && holding(address, 4) < 0) return 700;  // CUDA_ERROR_ILLEGAL_ADDRESS
  }
  gridDim = {gx, gy, gz};
  blockDim = {bx, by, bz};
  for (unsigned z = 0; z < gz; z++)
    for (unsigned y = 0; y < gy; y++)
      for (unsigned x = 0; x < gx; x++) {
        blockIdx = {x, y, z};
        for (unsigned tz = 0; tz < bz; tz++)
          for (unsigned ty = 0; ty < by; ty++)
            for (unsigned tx = 0; tx < bx; tx++) {
              threadIdx = {tx, ty, tz};
              kernel->run(p);
            }
      }
  return 0;
}

CUresult cuGetErrorName(CUresult code, const char **name) {
  switch (code) {
    case 0: *name = "CUDA_SUCCESS"; return 0;
    case 1: *name = "CUDA_ERROR_INVALID_VALUE"; return 0;
    case 2: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return 0;
    case 100: *name = "CUDA_ERROR_NO_DEVICE"; return 0;
    case 101: *name = "CUDA_ERROR_INVALID_DEVICE"; return 0;
    case 500: *name = "CUDA_ERROR_NOT_FOUND"; return 0;
    case 700: *name = "CUDA_ERROR_ILLEGAL_ADDRESS"; return 0;
    default: *name = 0; return 1;
  }
}
CUresult cuGetErrorString(CUresult code, const char **message) {
  switch (code) {
    case 2: *message = "out of memory"; return 0;
    case 100: *message = "no CUDA-capable device is detected"; return 0;
    case 700: *message = "an illegal memory access was encountered"; return 0;
    default: *message = "stub error"; return 0;
  }
}

}  // extern "C"
