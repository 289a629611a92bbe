/// EfficientNetTraining: gradients over whole models, optimizers, schedules, data and the training loop.
public enum TrainingInfo {}
