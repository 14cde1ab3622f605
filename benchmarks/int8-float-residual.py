"""Rewires an int8 QDQ export (OnnxExportOptions.withInt8) so residual Adds read some inputs in float32.

An experiment of issue #19 (benchmarks/results/int8-screening.md, session 19), not a product path:
  /usr/bin/python3 benchmarks/int8-float-residual.py IN.onnx OUT.onnx identity|identity+down|all|weights-only
identity: each non-first bottleneck's Add reads the previous block's output (its identity path) unrounded;
identity+down: also the downsample branch (its convolution then runs in float32); all: the bn3 branch too;
weights-only: every node reads every activation unrounded, so only the int8 weights differ from float32
(session 20: how much of the error the weights' rounding makes).
Dangling QuantizeLinear/DequantizeLinear nodes are removed. Needs python3-onnx (scripts/bootstrap.sh).
The result is measured with Int8ScreeningBenchmark --onnx OUT.onnx.
"""
import onnx, collections, sys
src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
m=onnx.load(src)
g=m.graph
prod={o:n for n in g.node for o in n.output}
changed=0
inits=set(i.name for i in g.initializer)
for n in g.node:
    if mode=='weights-only':
        for k,i in enumerate(n.input):
            p=prod.get(i)
            if p is None or p.op_type!='DequantizeLinear': continue
            q=prod.get(p.input[0])
            if q is None or q.op_type!='QuantizeLinear' or q.input[0] in inits: continue
            n.input[k]=q.input[0]; changed+=1
        continue
    if n.op_type!='Add': continue
    for k,i in enumerate(n.input):
        p=prod.get(i)
        if p is None or p.op_type!='DequantizeLinear': continue
        q=prod.get(p.input[0])
        if q is None or q.op_type!='QuantizeLinear': continue
        f=q.input[0]
        name=f
        is_stream = name.endswith('.relu')   # block output (identity path)
        is_down = 'downsample' in name
        is_bn3 = name.endswith('.bn3')
        if (mode in ('identity','identity+down') and is_stream) or (mode=='identity+down' and is_down) or (mode=='all' and (is_stream or is_down or is_bn3)):
            n.input[k]=f; changed+=1
# remove dangling Q/DQ
used=set(i for n in g.node for i in n.input)|set(o.name for o in g.output)
while True:
    dead=[n for n in g.node if n.op_type in('QuantizeLinear','DequantizeLinear') and all(o not in used for o in n.output)]
    if not dead: break
    for n in dead: g.node.remove(n)
    used=set(i for n in g.node for i in n.input)|set(o.name for o in g.output)
print('rewired', changed, collections.Counter(n.op_type for n in g.node))
onnx.save(m, dst)
