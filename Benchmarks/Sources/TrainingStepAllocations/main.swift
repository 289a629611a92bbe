// Runs N training steps of a tiny EfficientNet (B0 table at width/depth 0.25, 32×32, batch 4) so
// that `valgrind --tool=memcheck` (or any malloc counter) can compare the heap allocations of two step
// counts: (allocs(N2) − allocs(N1)) / (N2 − N1) is what one steady-state step allocates.
// Usage: swift run -c release TrainingStepAllocations N
import EfficientNetCore
import EfficientNetModels
import EfficientNetTraining

let steps = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1 : 1
let configuration = Configuration(widthMultiplier: 0.25, depthMultiplier: 0.25, resolution: 32, classCount: 10)
let graph = TrainingGraph(model: EfficientNet(architecture: try configuration.resolve(), seed: 1))
var generator = SeededGenerator(seed: 2)
let images = Tensor(shape: [4, 32, 32, 3], values: (0..<(4 * 32 * 32 * 3)).map { _ in generator.nextNormal() })
var loss = 0.0
for _ in 0..<steps {
  graph.parameters.zeroGradients()
  loss += try graph.step(images: images, labels: [1, 2, 3, 4], generator: &generator).loss
}
print("steps \(steps), mean loss \(loss / Double(steps))")
