# Device call 2 (right after call 1, same warm machine): the other half of the weights, then CUDA
# traces of every new model against the CPU's.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD/bench/device/shim SPACY_STANDIN_TABLE=$PWD/.gpu/tokens.json.gz
(cd /tmp/w/models && tar cf $OUT/m4.tar local-m local-p && tar cf $OUT/m5.tar self-attn rnn-attn \
  && tar cf $OUT/m6.tar lstm-attn lstm-none)
timeout ${PARITY_S:-100} python3 bench/cuda_parity.py /tmp/w/models/* --device ${DEVICE:-cuda} --json $OUT/parity.json > $OUT/parity.txt 2>&1
echo "parity exit $?"; tail -n 3 $OUT/parity.txt; ls -la $OUT
