// Data-loader throughput (images per second) with training augmentation and RandAugment (m9, n2) on
// real data: a CSV of images (such as ../shared/data/mnist_5k.csv.gz) or an image folder with one
// subfolder per class (such as ../shared/data/chest-xray-16).
//
//     swift run -c release DataLoaderThroughput [--resolution R] [--batch-size B] [--batches N]
//         [--workers W] [--passes P] CSV_OR_FOLDER
//
// The former tests' settings: MNIST at 64 with batches of 64 (the defaults), the chest X-rays with
// `--resolution 224 --batch-size 8 --batches 2`.
import BenchmarkSupport
import EfficientNetTraining
import Foundation

let usage = """
  usage: DataLoaderThroughput [--resolution R] [--batch-size B] [--batches N] [--workers W] \
  [--passes P] CSV_OR_FOLDER
  """
let arguments = BenchmarkArguments(
  Array(CommandLine.arguments.dropFirst()),
  defaults: ["resolution": 64, "batch-size": 64, "batches": 16, "workers": 2, "passes": 3], usage: usage)
guard arguments.positional.count == 1 else { exitWithUsageError(usage) }
let path = arguments.positional[0]
var isDirectory: ObjCBool = false
guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
  exitWithUsageError("\(path): missing")
}
let dataset: any LabeledDataset =
  isDirectory.boolValue
  ? try ImageFolderDataset(root: URL(fileURLWithPath: path))
  : try CSVImageDataset(contentsOf: URL(fileURLWithPath: path))
let augmentation = AugmentationConfiguration.training(
  resolution: arguments["resolution"], randAugment: RandAugmentConfiguration(layers: 2, magnitude: 9))
let loader = DataLoader(
  dataset: dataset, batchSize: arguments["batch-size"], augmentation: augmentation, seed: 1,
  workers: arguments["workers"])
let batchLimit = min(arguments["batches"], loader.batchCount)

/// Loads the first `batchLimit` batches of `epoch` and returns how many images they held.
func loadBatches(epoch: Int) -> Int {
  var images = 0
  for batch in loader.batches(epoch: epoch) {
    images += batch.images.shape[0]
    if batch.index + 1 == batchLimit { break }
  }
  return images
}

var images = 0
var epoch = 0
let times = PassTimer(passes: arguments["passes"]).measure(warmUp: { _ = loadBatches(epoch: 0) }) {
  epoch += 1
  images = loadBatches(epoch: epoch)
}
print(
  String(
    format: "%@: %d batches of %d at %d×%d, %d workers: best %.1f images/s, median %.1f images/s",
    (path as NSString).lastPathComponent, batchLimit, arguments["batch-size"], arguments["resolution"],
    arguments["resolution"], arguments["workers"], Double(images) / times.best, Double(images) / times.median)
)
