"""Rewires an int8 QDQ export (OnnxExportOptions.withInt8) so some of its tensors are read unrounded.

Experiments of issue #19 (benchmarks/results/int8-screening.md, sessions 19 and 20), not a product path:
  /usr/bin/python3 benchmarks/int8-float-residual.py IN.onnx OUT.onnx identity|identity+down|all|weights-only
  /usr/bin/python3 benchmarks/int8-float-residual.py IN.onnx OUT.onnx float-weights FP32.onnx
identity: each non-first bottleneck's Add reads the previous block's output (its identity path) unrounded;
identity+down: also the downsample branch (its convolution then runs in float32); all: the bn3 branch too;
weights-only: every node reads every activation unrounded, so only the int8 weights differ from float32;
float-weights FP32.onnx: every convolution reads the float32 export's weights and bias instead of its int8 ones, so
only the activations are rounded (session 20: how much of the error each rounding makes).
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
if mode=='float-weights':
    import numpy as np
    from onnx import numpy_helper
    f=onnx.load(sys.argv[4]).graph
    fi={i.name:numpy_helper.to_array(i) for i in f.initializer}
    after={i:n for n in f.node for i in n.input}
    for n in g.node:
        if n.op_type!='Conv' or not n.input[1].endswith('.W_dequantized'): continue
        conv=n.input[1][:-len('.W_dequantized')]
        w=fi[conv+'.W'].astype(np.float64)
        fconv=next(x for x in f.node if x.op_type=='Conv' and x.input[1]==conv+'.W')
        b=fi[fconv.input[2]].astype(np.float64) if len(fconv.input)>2 else np.zeros(w.shape[0])
        bn=after.get(fconv.output[0])
        if bn is not None and bn.op_type=='BatchNormalization':  # fold as the int8 export folds
            eps=next((a.f for a in bn.attribute if a.name=='epsilon'),1e-5)
            gamma,beta,mean,var=(fi[i].astype(np.float64) for i in bn.input[1:5])
            k=gamma/np.sqrt(var+eps)
            w=w*k[:,None,None,None]; b=(b-mean)*k+beta
        g.initializer.append(numpy_helper.from_array(w.astype(np.float32), conv+'.W_float'))
        g.initializer.append(numpy_helper.from_array(b.astype(np.float32), conv+'.b_float'))
        n.input[1]=conv+'.W_float'
        if len(n.input)>2: n.input[2]=conv+'.b_float'
        else: n.input.append(conv+'.b_float')
        changed+=1
elif mode=='weights-only':
    for n in g.node:
        for k,i in enumerate(n.input):
            p=prod.get(i)
            if p is None or p.op_type!='DequantizeLinear': continue
            q=prod.get(p.input[0])
            if q is None or q.op_type!='QuantizeLinear' or q.input[0] in inits: continue
            n.input[k]=q.input[0]; changed+=1
else:
    for n in g.node:
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
# remove dangling Q/DQ and the initializers only they read
used=set(i for n in g.node for i in n.input)|set(o.name for o in g.output)
while True:
    dead=[n for n in g.node if n.op_type in('QuantizeLinear','DequantizeLinear') and all(o not in used for o in n.output)]
    if not dead: break
    for n in dead: g.node.remove(n)
    used=set(i for n in g.node for i in n.input)|set(o.name for o in g.output)
for i in [i for i in g.initializer if i.name not in used]: g.initializer.remove(i)
print('rewired', changed, collections.Counter(n.op_type for n in g.node))
onnx.save(m, dst)
