# Device call 2 (right after call 1, same machine): the other half of the weights.
cd /tmp/w/models && tar cf $OUT/m4.tar local-p self-attn && tar cf $OUT/m5.tar rnn-attn lstm-attn \
  && tar cf $OUT/m6.tar lstm-none soft-dot-cont; ls -la $OUT
