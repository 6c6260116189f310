#!/usr/bin/env python3
# Prints every module that imports one importing it back (directly or around
# a loop), judged by the crate::/super:: paths outside #[cfg(test)]; exits 1
# if there is one. Usage: scripts/module_cycles.py rp-service/src [-v]
import re,sys,os,glob
root=sys.argv[1]  # e.g. rp-service/src
mods={}
for f in glob.glob(root+'/**/*.rs',recursive=True):
    rel=os.path.relpath(f,root)[:-3]
    parts=rel.split('/')
    if parts[-1] in('mod','lib','main'): parts=parts[:-1]
    if rel=='main': continue
    mods['::'.join(parts)]=f
def resolve(path):
    segs=path.split('::')
    for i in range(len(segs),-1,-1):
        m='::'.join(segs[:i])
        if m in mods: return m
    return ''
edges={m:set() for m in mods}
for m,f in mods.items():
    src=open(f).read()
    src=src.split('#[cfg(test)]')[0]
    src=re.sub(r'//[^\n]*','',src)
    parent='::'.join(m.split('::')[:-1])
    for mm in re.finditer(r'\b(crate|super)::((?:\w+::)*)(\{[^}]*\}|\w+)',src):
        base=mm.group(1); mid=mm.group(2).rstrip(':'); last=mm.group(3)
        pre=(parent if base=='super' else '')
        full=[x for x in [pre,mid] if x]
        names=[n.strip().split(' ')[0] for n in last.strip('{}').split(',')] if last.startswith('{') else [last]
        for n in names:
            if not n: continue
            p='::'.join(full+([] if n=='self' else [n]))
            t=resolve(p)
            if t!=m: edges[m].add(t)
# find cycles via DFS
import itertools
def reach(a,b,seen):
    if a==b: return True
    for n in edges.get(a,()):
        if n not in seen:
            seen.add(n)
            if reach(n,b,seen): return True
    return False
bad=0
for m in sorted(edges):
    for t in sorted(edges[m]):
        if reach(t,m,set()):
            print(f'{m or "crate"} -> {t or "crate"} -> ... -> {m or "crate"}'); bad=1
if '-v' in sys.argv:
    for m in sorted(edges): print(m or 'crate','->',sorted(x or 'crate' for x in edges[m]))
sys.exit(bad)
