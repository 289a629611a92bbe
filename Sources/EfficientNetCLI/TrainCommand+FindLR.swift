import EfficientNetFiles
import EfficientNetModels
import EfficientNetTraining
import Foundation

/// `train --find-lr`: the learning-rate range test with the run's model, data and recipe.
extension TrainCommand {
  /// Sweeps the rate, prints the suggestion and the rule behind it, and writes OUTPUT/lr-find.svg;
  /// writes no checkpoint and changes none.
  func findLearningRate(model: EfficientNet, recipe: TrainingRecipe, data: TrainingData) throws {
    let (training, evaluation) = try recipe.augmentations(for: model.configuration)
    let loader = RunLoaders(
      dataset: data.dataset, trainingIndices: data.trainingIndices, validationIndices: [], validationSet: nil,
      training: training, evaluation: evaluation, batchSize: recipe.settings.batchSize,
      seed: recipe.settings.seed, workers: recipe.settings.workers
    ).training
    let sweep = LearningRateSweep()
    let bar = ProgressBar(total: sweep.steps, label: "lr sweep", enabled: true)
    let finding = try LearningRateFinder.run(
      model: model, settings: recipe.settings, data: loader, sweep: sweep,
      progress: { step, rate, loss in
        bar.set(
          done: step + 1, total: sweep.steps, label: "lr sweep",
          detail: String(format: "lr %.2e loss %.4f", rate, loss))
      })
    bar.finish()
    let folder = URL(fileURLWithPath: directory)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let plot = folder.appendingPathComponent("lr-find.svg")
    try LearningRateFindingPlot.write(finding, optimizer: recipe.settings.optimizer, to: plot)
    let table = folder.appendingPathComponent("lr-find.csv")
    var lines = ["step,learning_rate,loss,smoothed_loss"]
    for index in finding.rates.indices {
      lines.append(
        "\(index),\(finding.rates[index]),\(finding.losses[index]),\(finding.smoothedLosses[index])")
    }
    try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: table)
    let stop =
      finding.diverged
      ? "the smoothed loss diverged at lr \(String(format: "%.3g", finding.rates.last ?? 0))"
      : "no divergence up to lr \(String(format: "%.3g", finding.rates.last ?? 0))"
    FileHandle.standardError.write(
      Data("\(finding.rates.count) steps (\(stop)); curve written to \(plot.path) and \(table.path)\n".utf8))
    guard let suggestion = finding.suggestedRate else {
      throw CommandError(
        "--find-lr: the loss never fell over the sweep, so no rate can be suggested; see \(plot.path)")
    }
    print(
      String(format: "suggested lr %.3g", suggestion)
        + " (\(recipe.settings.optimizer.rawValue), batch \(recipe.settings.batchSize)): \(LearningRateFinding.rule)"
    )
  }
}
