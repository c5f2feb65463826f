# Device call 1: train every model at once (and a continued default as a hedge), check the CUDA
# path on the toy models meanwhile, bring back the first half of the weights.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD/bench/device/shim SPACY_STANDIN_TABLE=$PWD/.gpu/tokens.json.gz
TRAIN=${TRAIN:-6.8} WALL=${WALL:-7.2}
nvidia-smi -L
python3 -c "import torch, sys, spacy; print(sys.version.split()[0], torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0), spacy.__file__)" || exit 1
export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps/p CUDA_MPS_LOG_DIRECTORY=/tmp/mps/l
mkdir -p /tmp/mps/p /tmp/mps/l
if [ "${DEVICE:-cuda}" = cuda ] && command -v nvidia-cuda-mps-control >/dev/null && nvidia-cuda-mps-control -d \
   && timeout 45 python3 -c "import torch; print('MPS on', torch.ones(1, device='cuda').sum().item())"; then
  echo "MPS daemon running"
else
  echo quit | nvidia-cuda-mps-control 2>/dev/null
  unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  echo "MPS off"
fi
W=/tmp/w; rm -rf $W; mkdir -p $W/logs $W/models
START=$(date +%s)
bash pretrained/train_gpu.sh .gpu/eng-fra.txt.gz $W $TRAIN $WALL & T=$!
# A hedge for the default: the shipped soft-dot continued with the same recipe at half the rate.
DL=$(python3 -c "import time; print(int(time.time() + 60 * $WALL))")
python3 -m seq2seq_viz.train --data .gpu/eng-fra.txt.gz --src en --tgt fr --max-len 15 --min-freq 2 \
  --src-vocab-size 8000 --tgt-vocab-size 8000 --emb 128 --hidden 256 --threads 1 --seed 1 \
  --label-smoothing 0.1 --lr-decay 0.5 --min-lr 1e-5 --lr 1e-3 --batch-size 512 --epochs 200 \
  --max-minutes $TRAIN --deadline $DL --save-every 100000 --device ${DEVICE:-cuda} --quiet --score dot --align global \
  --init-from .gpu/soft-dot --out $W/models/soft-dot-cont --run-dir $W/runs/soft-dot-cont \
  > $W/logs/soft-dot-cont.log 2>&1 & C=$!
sleep 40; nvidia-smi > $OUT/smi.txt 2>&1
python3 bench/cuda_parity.py pretrained/toy-* --device ${DEVICE:-cuda} --json $OUT/parity-toys.json > $OUT/parity-toys.txt 2>&1; echo "toy parity exit $?"
tail -n 1 $OUT/parity-toys.txt
while kill -0 $T 2>/dev/null; do
  sleep 30; echo "--- $(( $(date +%s) - START )) s"; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  for f in $W/logs/*.log; do echo "$(basename $f .log): $(tail -n 1 $f | cut -c1-100)"; done
done
wait $T $C
echo "training done after $(( $(date +%s) - START )) s"; cat $W/logs/status.txt
cd $W/models && for m in *; do rm -f $m/*.tmp; done
tar czf $OUT/logs.tgz -C $W logs
# at most 16 MiB a file, 8 files a call: two models a tar
tar cf $OUT/m1.tar soft-dot soft-dot-cont; tar cf $OUT/m2.tar soft-general soft-concat; tar cf $OUT/m3.tar none hard
ls -la $OUT
