import ArgumentParser

/// `--pretrained` and `--pretrained-entry`, shared by the commands that run a model.
struct PretrainedOptions: ParsableArguments {
  @Flag(
    name: .long,
    help:
      "Use the published ImageNet weights of --model, downloaded once into the cache (the default without --weights for any model but the shipped Lite0; see `efficientnet weights`)."
  )
  var pretrained = false

  @Option(
    name: .customLong("pretrained-entry"),
    help:
      "Which published weights of --model, by name (e.g. efficientnet_b0.ra_in1k; default: the model's first in `efficientnet weights`)."
  )
  var entry: String?
}
