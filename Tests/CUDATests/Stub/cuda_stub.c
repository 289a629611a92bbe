// A stand-in for libcuda.so.1, built by the CUDA tests (cc -shared -fPIC), so that the binding layer
// runs on machines without a GPU: allocations are malloc'd and tracked (a leak, a double free or a copy
// past an allocation is seen), copies are memcpy, module loads record the image's magic, and launches
// of the kernels it knows run a C emulation on the "device" memory, so that argument marshalling is
// checked end to end. stub_fail() makes the next call of a function return an error code.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

// Functions are their names, copied.
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  FAIL("cuModuleGetFunction");
  if (!module) return 400;  // CUDA_ERROR_INVALID_HANDLE
  if (strcmp(name, "silu_inplace") && strcmp(name, "global_average_pool_nhwc")) return 500;  // NOT_FOUND
  *function = strdup(name);
  return 0;
}

static float silu(float x) {
  extern float expf(float);
  return x / (1.0f + expf(-x));
}

CUresult cuLaunchKernel(void *function, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                        unsigned int by, unsigned int bz, unsigned int shared, void *stream, void **parameters,
                        void **extra) {
  FAIL("cuLaunchKernel");
  if (!function || !parameters || extra) return 1;
  last_grid[0] = gx; last_grid[1] = gy; last_grid[2] = gz;
  last_block[0] = bx; last_block[1] = by; last_block[2] = bz;
  launches++;
  const char *name = function;
  if (strcmp(name, "silu_inplace") == 0) {  // (float *values, int count)
    CUdeviceptr values = *(CUdeviceptr *)parameters[0];
    int count = *(int *)parameters[1];
    if (holding(values, (size_t)count * 4) < 0) return 700;  // CUDA_ERROR_ILLEGAL_ADDRESS
    if ((unsigned long long)gx * bx < (unsigned long long)count) return 1;  // too few threads
    float *x = (float *)(uintptr_t)values;
    for (int i = 0; i < count; i++) x[i] = silu(x[i]);
    return 0;
  }
  if (strcmp(name, "global_average_pool_nhwc") == 0) {  // (const float *input, float *output, int n, int hw, int c)
    CUdeviceptr input = *(CUdeviceptr *)parameters[0], output = *(CUdeviceptr *)parameters[1];
    int n = *(int *)parameters[2], hw = *(int *)parameters[3], c = *(int *)parameters[4];
    if (holding(input, (size_t)n * hw * c * 4) < 0 || holding(output, (size_t)n * c * 4) < 0) return 700;
    if ((unsigned long long)gx * bx < (unsigned long long)c || gy < (unsigned)n) return 1;
    const float *in = (const float *)(uintptr_t)input;
    float *out = (float *)(uintptr_t)output;
    for (int image = 0; image < n; image++)
      for (int channel = 0; channel < c; channel++) {
        float sum = 0;
        for (int p = 0; p < hw; p++) sum += in[((size_t)image * hw + p) * c + channel];
        out[image * c + channel] = sum / (float)hw;
      }
    return 0;
  }
  return 500;
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
