#!/usr/bin/env bash
# Stages the image build context in deploy/build: the stripped release
# binaries, and a root filesystem holding exactly the shared libraries they
# link (read off ldd) plus what name resolution needs. Run after
# `cargo build --release`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/deploy/build"
rm -rf "$out"
mkdir -p "$out/bin" "$out/rootfs/etc" "$out/data"
for bin in as-service rp-service orchestrator; do
  src="$root/target/release/$bin"
  [ -x "$src" ] || { echo "missing $src: run cargo build --release first" >&2; exit 2; }
  strip -o "$out/bin/$bin" "$src"
  # Every library the binary loads, at the path the loader will look for it.
  ldd "$src" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    [ -f "$lib" ] || continue
    mkdir -p "$out/rootfs$(dirname "$lib")"
    cp -L "$lib" "$out/rootfs$lib"
  done
done
# glibc resolves names itself (files, then DNS: Docker's embedded resolver
# answers compose service names); these files tell it how.
printf 'hosts: files dns\n' > "$out/rootfs/etc/nsswitch.conf"
printf 'root:x:0:0::/:/app\napp:x:65532:65532::/var/lib/oidc-story:/app\n' > "$out/rootfs/etc/passwd"
printf 'root:x:0:\napp:x:65532:\n' > "$out/rootfs/etc/group"
du -sh "$out/bin"/* "$out/rootfs" | sed 's/^/staged: /'
