// EfficientNet's own CUDA kernels (the first of them), compiled offline by Scripts/compile-cuda-kernels.sh
// into a fatbin (sm_90 SASS + compute_90 PTX) embedded as Sources/EfficientNetCUDA/Generated/KernelImage.swift.
// Activations are NHWC, float32. Launch shapes are chosen by the Swift side (CUDAKernels.swift).

extern "C" {

// x = x * sigmoid(x), in place, for `count` values; one thread per value, a grid-stride loop.
__global__ void silu_inplace(float *values, int count) {
  for (int index = blockIdx.x * blockDim.x + threadIdx.x; index < count; index += gridDim.x * blockDim.x) {
    float x = values[index];
    values[index] = x / (1.0f + expf(-x));
  }
}

// output[n, c] = mean over the hw pixels of input[n, p, c]: blockIdx.y is the image, x threads the channels,
// each summing its channel's pixels in order (the CPU engine's order, so strict fp32 agrees closely).
__global__ void global_average_pool_nhwc(const float *input, float *output, int images, int pixels, int channels) {
  int image = blockIdx.y;
  int channel = blockIdx.x * blockDim.x + threadIdx.x;
  if (image >= images || channel >= channels) return;
  const float *source = input + (size_t)image * pixels * channels + channel;
  float sum = 0.0f;
  for (int pixel = 0; pixel < pixels; pixel++) sum += source[(size_t)pixel * channels];
  output[image * channels + channel] = sum / (float)pixels;
}

}
