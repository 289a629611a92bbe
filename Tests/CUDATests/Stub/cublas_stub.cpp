// A stand-in for libcublas.so.13, built by the CUDA tests beside the stub driver: cublasGemmEx computes
// C = alpha op(A) op(B) + beta C in cuBLAS's column-major convention on the stub's host-backed "device"
// memory, and refuses what cuBLAS refuses (leading dimensions too small, other data types, unknown
// compute types), so that the engine's transposes and leading dimensions are checked.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern "C" {

static int handles = 0, products = 0, last_compute_type = 0;

int stub_cublas_handles(void) { return handles; }
int stub_cublas_products(void) { return products; }
int stub_cublas_last_compute_type(void) { return last_compute_type; }

int cublasCreate_v2(void **handle) {
  handles++;
  *handle = (void *)0x3000;
  return 0;
}
int cublasDestroy_v2(void *handle) {
  if (!handle) return 1;  // CUBLAS_STATUS_NOT_INITIALIZED
  handles--;
  return 0;
}

int cublasGemmEx(void *handle, int transa, int transb, int m, int n, int k, const void *alpha, const void *a,
                 int a_type, int lda, const void *b, int b_type, int ldb, const void *beta, void *c, int c_type,
                 int ldc, int compute_type, int algorithm) {
  if (!handle) return 1;
  if (a_type != 0 || b_type != 0 || c_type != 0) return 15;  // only CUDA_R_32F here
  if (compute_type != 68 && compute_type != 75 && compute_type != 77) return 7;
  if (m < 0 || n < 0 || k < 0 || (transa != 0 && transa != 1) || (transb != 0 && transb != 1)) return 7;
  if (lda < (transa == 0 ? m : k) || ldb < (transb == 0 ? k : n) || ldc < m || lda < 1 || ldb < 1 || ldc < 1) return 7;
  const float *A = (const float *)a, *B = (const float *)b;
  float *C = (float *)c;
  float scale = *(const float *)alpha, keep = *(const float *)beta;
  for (int j = 0; j < n; j++)
    for (int i = 0; i < m; i++) {
      float sum = 0.0f;
      for (int p = 0; p < k; p++) {
        float left = transa == 0 ? A[i + (long)p * lda] : A[p + (long)i * lda];
        float right = transb == 0 ? B[p + (long)j * ldb] : B[j + (long)p * ldb];
        sum += left * right;
      }
      C[i + (long)j * ldc] = scale * sum + (keep == 0.0f ? 0.0f : keep * C[i + (long)j * ldc]);
    }
  if (products == 0 && getenv("STUB_CUBLAS_TRACE")) fprintf(stderr, "stub cublasGemmEx: compute type %d\n", compute_type);
  products++;
  last_compute_type = compute_type;
  return 0;
}

}  // extern "C"
