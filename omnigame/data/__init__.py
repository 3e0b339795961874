"""A video turned into what the model trains and infers on.

background (median of unmasked pixels), prepare (resizing to the model size, hidden-frame
patterns, the Batch), clips (the dataset of training clips of one or many videos), moving (where the
background moves: the weight of the sparsity term in test-time training).
"""
