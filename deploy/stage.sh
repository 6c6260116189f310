#!/usr/bin/env bash
# Stages the image build context in deploy/build: the stripped binaries of
# cargo profile $PROFILE (default `optimized`: the images ship the
# whole-program-optimised build; PROFILE=release reuses a release build),
# and a root filesystem holding exactly the shared libraries they link
# (read off ldd) plus what name resolution needs. Run after
# `cargo build --profile "$PROFILE"`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
profile="${PROFILE:-optimized}"
out="$root/deploy/build"
rm -rf "$out"
mkdir -p "$out/bin" "$out/data"
bins="as-service rp-service orchestrator"
# Redis for the replicated deployment, when the machine has it (Debian's redis-server).
redis="$(command -v redis-server || true)"
for bin in $bins ${redis:+redis-server}; do
  src="$root/target/$profile/$bin"
  [ "$bin" = redis-server ] && src="$redis"
  [ -x "$src" ] || { echo "missing $src: run cargo build --profile $profile first" >&2; exit 2; }
  strip -o "$out/bin/$bin" "$src"
  # Each image's root: every library the binary loads, at the path the
  # loader will look for it.
  fs="$out/rootfs-$bin"
  mkdir -p "$fs/etc"
  ldd "$src" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    [ -f "$lib" ] || continue
    mkdir -p "$fs$(dirname "$lib")"
    cp -L "$lib" "$fs$lib"
  done
  # glibc resolves names itself (files, then DNS: Docker's embedded resolver
  # answers compose service names); these files tell it how.
  printf 'hosts: files dns\n' > "$fs/etc/nsswitch.conf"
  printf 'root:x:0:0::/:/app\napp:x:65532:65532::/var/lib/oidc-story:/app\n' > "$fs/etc/passwd"
  printf 'root:x:0:\napp:x:65532:\n' > "$fs/etc/group"
done
echo "staged: the $profile build"
du -sh "$out/bin"/* "$out"/rootfs-* | sed 's/^/staged: /'
