"""One step-based loop for pretraining and test-time training.

losses (reconstruction, alpha sparsity, mask term, the lambda_m schedule), loop (train),
checkpoint (one self-describing file: weights, optimizer, step, config, RNG), fingerprint
(what a run is about, so a checkpoint is resumed only by its own run), distributed (several
processes under torchrun), monitor (TensorBoard curves and image panels), precision (the
step's forward pass in bfloat16 where the processor computes it natively).
"""
