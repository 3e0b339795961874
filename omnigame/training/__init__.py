"""One step-based loop for pretraining and test-time training.

losses (reconstruction, alpha sparsity, mask term, the lambda_m schedule), loop (train),
checkpoint (one self-describing file: weights, optimizer, step, config, RNG), monitor
(TensorBoard curves and image panels).
"""
