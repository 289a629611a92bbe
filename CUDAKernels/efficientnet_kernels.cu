// EfficientNet's own CUDA kernels, compiled offline by Scripts/compile-cuda-kernels.sh into a fatbin
// (sm_90 SASS + compute_90 PTX) embedded as Sources/EfficientNetCUDA/Generated/KernelImage.swift.
// Activations are NHWC float32; weights keep PyTorch's layouts ([O, I, kh, kw], depthwise [C, 1, kh, kw],
// 1x1 and linear [O, K]) with batch norm folded in by the Swift side. Every kernel computes one output
// element per thread with a grid-stride loop and no shared memory or barriers, so the CUDA tests can run
// these very sources on the CPU (Tests/CUDATests/Stub compiles them as C++ with one thread at a time).
// Activation codes: 0 identity, 1 SiLU, 2 ReLU6, 3 ReLU, 4 sigmoid.

extern "C" {

__device__ inline float activate(float x, int activation) {
  switch (activation) {
    case 1: return x / (1.0f + expf(-x));
    case 2: return fminf(fmaxf(x, 0.0f), 6.0f);
    case 3: return fmaxf(x, 0.0f);
    case 4: return 1.0f / (1.0f + expf(-x));
    default: return x;
  }
}

// The image, row, column and channel of element `index` of an NHWC tensor [N, height, width, channels].
struct Position { int n, y, x, c; };
__device__ inline Position nhwc_position(long long index, int height, int width, int channels) {
  Position p;
  p.c = (int)(index % channels);
  long long rest = index / channels;
  p.x = (int)(rest % width);
  rest /= width;
  p.y = (int)(rest % height);
  p.n = (int)(rest / height);
  return p;
}

#define GRID_STRIDE_LOOP(index, count) \
  for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < (count); \
       index += (long long)gridDim.x * blockDim.x)

// x = x * sigmoid(x), in place, for `count` values.
__global__ void silu_inplace(float *values, int count) {
  GRID_STRIDE_LOOP(index, count) {
    float x = values[index];
    values[index] = x / (1.0f + expf(-x));
  }
}

// output[n, c] = mean over the pixels of input[n, p, c]; blockIdx.y is the image.
__global__ void global_average_pool_nhwc(const float *input, float *output, int images, int pixels, int channels) {
  int image = blockIdx.y;
  int channel = blockIdx.x * blockDim.x + threadIdx.x;
  if (image >= images || channel >= channels) return;
  const float *source = input + (size_t)image * pixels * channels + channel;
  float sum = 0.0f;
  for (int pixel = 0; pixel < pixels; pixel++) sum += source[(size_t)pixel * channels];
  output[image * channels + channel] = sum / (float)pixels;
}

// A k x k convolution (the stem): input [N, H, W, Ci], weights [Co, Ci, kh, kw], bias [Co],
// output [N, OH, OW, Co] = act(conv + bias). Zero padding pad_top / pad_left (TF "same" is asymmetric).
__global__ void convolution_nhwc(const float *input, const float *weights, const float *bias, float *output,
                                 int images, int height, int width, int input_channels, int output_channels,
                                 int kernel, int stride, int pad_top, int pad_left, int output_height,
                                 int output_width, int activation) {
  long long count = (long long)images * output_height * output_width * output_channels;
  GRID_STRIDE_LOOP(index, count) {
    Position at = nhwc_position(index, output_height, output_width, output_channels);
    int n = at.n, y = at.y, x = at.x, o = at.c;
    float sum = 0.0f;
    for (int ky = 0; ky < kernel; ky++) {
      int iy = y * stride - pad_top + ky;
      if (iy < 0 || iy >= height) continue;
      for (int kx = 0; kx < kernel; kx++) {
        int ix = x * stride - pad_left + kx;
        if (ix < 0 || ix >= width) continue;
        const float *pixel = input + (((size_t)n * height + iy) * width + ix) * input_channels;
        for (int i = 0; i < input_channels; i++)
          sum += pixel[i] * weights[(((size_t)o * input_channels + i) * kernel + ky) * kernel + kx];
      }
    }
    output[index] = activate(sum + bias[o], activation);
  }
}

// A depthwise k x k convolution: input [N, H, W, C], weights [C, kh, kw], output [N, OH, OW, C].
__global__ void depthwise_nhwc(const float *input, const float *weights, const float *bias, float *output,
                               int images, int height, int width, int channels, int kernel, int stride,
                               int pad_top, int pad_left, int output_height, int output_width, int activation) {
  long long count = (long long)images * output_height * output_width * channels;
  GRID_STRIDE_LOOP(index, count) {
    Position at = nhwc_position(index, output_height, output_width, channels);
    int n = at.n, y = at.y, x = at.x, c = at.c;
    float sum = 0.0f;
    for (int ky = 0; ky < kernel; ky++) {
      int iy = y * stride - pad_top + ky;
      if (iy < 0 || iy >= height) continue;
      for (int kx = 0; kx < kernel; kx++) {
        int ix = x * stride - pad_left + kx;
        if (ix < 0 || ix >= width) continue;
        sum += input[(((size_t)n * height + iy) * width + ix) * channels + c] *
               weights[((size_t)c * kernel + ky) * kernel + kx];
      }
    }
    output[index] = activate(sum + bias[c], activation);
  }
}

// A 1x1 convolution or linear layer over rows m = image * pixels + p: input [M, K], weights [O, K],
// output [M, O] = act(sum_k input[m, k] * gate[image, k] * W[o, k] + bias[o]) + residual[m, o].
// gate (squeeze-and-excitation, [N, K]) and residual ([M, O]) may be null.
__global__ void pointwise_nhwc(const float *input, const float *weights, const float *bias, const float *gate,
                               const float *residual, float *output, int rows, int depth, int outputs,
                               int pixels, int activation) {
  long long count = (long long)rows * outputs;
  GRID_STRIDE_LOOP(index, count) {
    int o = (int)(index % outputs);
    long long m = index / outputs;
    const float *row = input + m * depth;
    const float *weight = weights + (size_t)o * depth;
    const float *scale = gate ? gate + (m / pixels) * depth : 0;
    float sum = 0.0f;
    if (scale) {
      for (int k = 0; k < depth; k++) sum += row[k] * scale[k] * weight[k];
    } else {
      for (int k = 0; k < depth; k++) sum += row[k] * weight[k];
    }
    float value = activate(sum + bias[o], activation);
    output[index] = residual ? value + residual[index] : value;
  }
}

// The epilogue of a cuBLAS product, in place: output[m, o] = act(output[m, o] + bias[o]) + residual[m, o]
// (residual may be null).
__global__ void bias_activation_nhwc(float *output, const float *bias, const float *residual, int rows, int outputs,
                                     int activation) {
  long long count = (long long)rows * outputs;
  GRID_STRIDE_LOOP(index, count) {
    float value = activate(output[index] + bias[index % outputs], activation);
    output[index] = residual ? value + residual[index] : value;
  }
}

// values[n, p, c] *= gate[n, c] in place (squeeze-and-excitation before a cuBLAS projection).
__global__ void scale_channels_nhwc(float *values, const float *gate, int images, int pixels, int channels) {
  long long count = (long long)images * pixels * channels;
  GRID_STRIDE_LOOP(index, count) {
    long long n = index / ((long long)pixels * channels);
    values[index] *= gate[n * channels + index % channels];
  }
}

}
