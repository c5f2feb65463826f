# Device call 1: train every model at once, check CUDA traces against the CPU, bring back half.
set -u
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD/bench/device/shim SPACY_STANDIN_TABLE=$PWD/.gpu/tokens.json.gz
nvidia-smi -L
python3 -c "import torch, sys, spacy; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name(0), spacy.__file__)"
export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps/p CUDA_MPS_LOG_DIRECTORY=/tmp/mps/l
mkdir -p /tmp/mps/p /tmp/mps/l
if command -v nvidia-cuda-mps-control >/dev/null && nvidia-cuda-mps-control -d \
   && timeout 45 python3 -c "import torch; print('MPS on', torch.ones(1, device='cuda').sum().item())"; then
  echo "MPS daemon running"
else
  echo quit | nvidia-cuda-mps-control 2>/dev/null
  unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  echo "MPS off"
fi
W=/tmp/w; rm -rf $W; mkdir -p $W/logs $W/models
START=$(date +%s)
bash pretrained/train_gpu.sh .gpu/eng-fra.txt.gz $W 5 6.6 & T=$!
# A hedge for the default: the shipped soft-dot continued with the same recipe at half the rate.
DL=$(python3 -c "import time; print(int(time.time() + 60 * 6.6))")
python3 -m seq2seq_viz.train --data .gpu/eng-fra.txt.gz --src en --tgt fr --max-len 15 --min-freq 2 \
  --src-vocab-size 8000 --tgt-vocab-size 8000 --emb 128 --hidden 256 --threads 1 --seed 1 \
  --label-smoothing 0.1 --lr-decay 0.5 --min-lr 1e-5 --lr 1e-3 --batch-size 512 --epochs 200 \
  --max-minutes 5 --deadline $DL --save-every 100000 --device cuda --quiet --score dot --align global \
  --init-from pretrained/soft-dot --out $W/models/soft-dot-cont --run-dir $W/runs/soft-dot-cont \
  > $W/logs/soft-dot-cont.log 2>&1 & C=$!
sleep 45; nvidia-smi > $OUT/smi.txt
python3 bench/cuda_parity.py --json $OUT/parity.json > $OUT/parity.txt 2>&1; echo "parity exit $?"
tail -n 1 $OUT/parity.txt
while kill -0 $T 2>/dev/null; do
  sleep 30; echo "--- $(( $(date +%s) - START )) s"; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
  for f in $W/logs/*.log; do echo "$(basename $f .log): $(tail -n 1 $f | cut -c1-90)"; done
done
wait $T $C
echo "training done after $(( $(date +%s) - START )) s"; cat $W/logs/status.txt
cd $W/models && for m in *; do rm -f $m/*.tmp; done
tar czf $OUT/logs.tgz -C $W logs $(cd $W && ls -d models/*/config.json)
tar cf $OUT/m1.tar soft-dot soft-general; tar cf $OUT/m2.tar soft-concat none; tar cf $OUT/m3.tar hard local-m
ls -la $OUT
