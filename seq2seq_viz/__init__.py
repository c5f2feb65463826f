"""seq2seq-viz: attention in RNN encoder-decoders, step by step."""
