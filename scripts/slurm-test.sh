#!/usr/bin/env bash
# scripts/slurm-test.sh: deploy/slurm/*.sbatch on a real one-node SLURM cluster on this
# machine (localhost), end to end:
#   1. installs slurm-wlm and munge (Debian) when missing: needs root. Without root it
#      skips (exit 0) outside CI and fails under CI=true;
#   2. starts munged, slurmctld and slurmd with their key, sockets, spool, state, logs and
#      a minimal slurm.conf in a temporary directory (SLURM_CONF points at it; the
#      machine's /etc/slurm and /etc/munge are not used), and waits for the node;
#   3. builds freedarts once and submits deploy/slurm/correlate.sbatch as a 4-task array
#      over 40 cells (synflow,params,flops, -draw per-cell, -sample 40 -sample-seed 0);
#      array task 2 is stopped once it has written a row and cancelled with scancel,
#      then rerun alone (sbatch --array=2), which must resume the cells it wrote;
#   4. submits deploy/slurm/merge.sbatch (--dependency=afterok on the rerun), then runs
#      the same 40 cells in one process (no -shard) and checks that the merged study and
#      its settings equal that run's byte for byte;
#   5. stops the daemons and removes the directory (on any exit).
# Every wait is bounded (SLURM_TEST_TIMEOUT seconds for the jobs, default 900). On a
# failure it prints squeue, the jobs and the daemons' and jobs' logs, and exits 1.
# Keep the directory with SLURM_TEST_KEEP=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { echo "slurm-test: $*" >&2; }
die() {
	say "FAIL: $*"
	exit 1
}

# --- 1. packages --------------------------------------------------------------
need=()
for cmd in slurmctld slurmd sbatch munged; do
	command -v "$cmd" >/dev/null || need=(slurm-wlm munge)
done
if [ "${#need[@]}" -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		if [ "${CI:-}" = true ]; then
			die "slurm-wlm and munge are not installed and this is not root, so they cannot be: install them (apt-get install slurm-wlm munge) or run as root"
		fi
		say "SKIP: slurm-wlm and munge are not installed and this is not root (installing them and running the daemons needs root; CI=true makes this a failure)"
		exit 0
	fi
	say "installing ${need[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
		die "apt-get install ${need[*]} failed"
fi
if [ "$(id -u)" != 0 ]; then
	# Installed, but slurmd must run jobs as their user and SlurmUser=root here.
	if [ "${CI:-}" = true ]; then
		die "not root: the test's slurmd runs as root (SlurmUser=root)"
	fi
	say "SKIP: not root (the test's slurmctld and slurmd run as root; CI=true makes this a failure)"
	exit 0
fi

# --- 2. the cluster ---------------------------------------------------------------
tmp=$(mktemp -d /tmp/freedarts-slurm.XXXXXX)
# munged wants every directory above its socket searchable by all, and none writable by
# others (/tmp's sticky bit is fine).
chmod 755 "$tmp"
export SLURM_CONF=$tmp/slurm.conf
cluster_up=0

pid_of() { [ -s "$1" ] && cat "$1"; }
# ours: the processes other than this shell whose environment has this cluster's
# SLURM_CONF (the daemons, slurmstepd, the jobs: nothing else has that path), by pid.
ours() {
	local e p
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}
		p=${p%/environ}
		case $p in "$$" | "$BASHPID") continue ;; esac
		if tr '\0' '\n' 2>/dev/null <"$e" | grep -qxF "SLURM_CONF=$SLURM_CONF"; then
			echo "$p"
		fi
	done
}
cleanup() {
	rc=$?
	set +e
	trap - INT TERM
	if [ "$cluster_up" = 1 ]; then
		# Cancel the jobs and let slurmd reap them, then stop the daemons (bounded).
		scancel --quiet --user=root >/dev/null 2>&1
		for _ in $(seq 30); do
			[ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
			sleep 0.5
		done
		scontrol shutdown >/dev/null 2>&1
		for f in slurmd.pid slurmctld.pid; do
			pid=$(pid_of "$tmp/$f") || continue
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		done
	fi
	# Whatever of this cluster still runs (a daemon that did not stop, a slurmstepd or a
	# job left behind): SIGTERM, then SIGKILL, by pid.
	left=$(ours)
	if [ -n "$left" ]; then
		# shellcheck disable=SC2086 # a list of pids
		kill $left 2>/dev/null
		sleep 1
		# shellcheck disable=SC2046
		kill -9 $(ours) 2>/dev/null
	fi
	if pid=$(pid_of "$tmp/munged.pid"); then
		munged --stop --socket="$tmp/munge.sock" >/dev/null 2>&1 || kill "$pid" 2>/dev/null
	fi
	if [ "${SLURM_TEST_KEEP:-0}" = 1 ]; then
		say "kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

logs() {
	set +e
	echo "----- squeue" >&2
	squeue -a >&2
	echo "----- sinfo" >&2
	sinfo -N -l >&2
	for f in "$tmp"/*.log "$tmp"/logs/*; do
		[ -f "$f" ] || continue
		echo "----- $f (last 40 lines)" >&2
		tail -n 40 "$f" >&2
	done
}
fail() {
	say "FAIL: $*"
	logs
	exit 1
}

# A free TCP port: $1 when nothing listens on it, else one from 20000-29999.
free_port() {
	local p=$1
	for _ in $(seq 200); do
		if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
		p=$((20000 + RANDOM % 10000))
	done
	die "no free TCP port for slurmctld/slurmd"
}
ctld_port=$(free_port 6817)
slurmd_port=$(free_port $((ctld_port + 1)))

head -c 1024 /dev/urandom >"$tmp/munge.key"
chmod 600 "$tmp/munge.key"
munged --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" --pid-file="$tmp/munged.pid" \
	--log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" ||
	{ cat "$tmp/munged.log" >&2; die "munged did not start (its log is above)"; }
munge --socket="$tmp/munge.sock" -n </dev/null | unmunge --socket="$tmp/munge.sock" >/dev/null ||
	{ cat "$tmp/munged.log" >&2; die "munge cannot encode and decode a credential"; }

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/logs" "$tmp/results"
cpus=$(nproc)
# Memory is not scheduled (CR_CPU; no --mem in the sbatch files): RealMemory is only
# what slurmd checks the node has, so a small value always passes.
cat >"$SLURM_CONF" <<EOF
ClusterName=freedarts-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
KillWait=5
MinJobAge=3600
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=100 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
say "starting slurmctld (port $ctld_port) and slurmd (port $slurmd_port), $cpus CPUs, in $tmp"
slurmctld || fail "slurmctld did not start"
cluster_up=1
slurmd -N localhost || fail "slurmd did not start"
state=
for _ in $(seq 60); do
	state=$(sinfo -h -N -n localhost -o %t 2>/dev/null || true)
	[ "$state" = idle ] && break
	sleep 1
done
[ "$state" = idle ] || fail "node localhost is not idle after 60 s (state ${state:-none})"
say "cluster up: node localhost idle"

# --- 3. the study as a job array -------------------------------------------------------
# shellcheck source=scripts/setup/goenv.sh
. scripts/setup/goenv.sh
export GOMLX_BACKEND=go GOMLX_NO_AUTO_INSTALL=1
if [ "$(go env GOARCH)" = amd64 ]; then
	export GOEXPERIMENT=simd
fi
say "building freedarts ($(go env GOVERSION))"
start=$SECONDS
go build -o "$tmp/freedarts" ./cmd/freedarts || fail "go build ./cmd/freedarts"
say "built in $((SECONDS - start)) s"

# The study of the test, as the sbatch files take it (sbatch's default --export=ALL
# passes these on).
export FREEDARTS=$tmp/freedarts FREEDARTS_SHARDS=4 FREEDARTS_RESULTS=$tmp/results \
	FREEDARTS_PROXY=synflow,params,flops FREEDARTS_SAMPLE=40 FREEDARTS_SAMPLE_SEED=0 \
	FREEDARTS_DRAW=per-cell FREEDARTS_SEED=0 FREEDARTS_WORKERS=1 FREEDARTS_INDICES='' \
	FREEDARTS_BENCH='' FREEDARTS_DATA='' FREEDARTS_ARGS=
# One CPU a task so that the 2-4 tasks share a small node; output into logs/.
sbatch_opts=(--cpus-per-task=1 --time=00:15:00)
timeout=${SLURM_TEST_TIMEOUT:-900}
deadline=$((SECONDS + timeout))

# wait_gone JOBID...: until no job of the list is queued or running, bounded.
wait_gone() {
	while [ -n "$(squeue -h -j "$(
		IFS=,
		echo "$*"
	)" -o %i 2>/dev/null)" ]; do
		[ "$SECONDS" -lt "$deadline" ] || fail "jobs $* still queued or running after ${timeout} s"
		sleep 1
	done
}
# job_state JOBID: COMPLETED, FAILED, CANCELLED, ... (of every task of an array, one a line).
job_state() { scontrol -o show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u; }
rows() { if [ -f "$1" ]; then echo $(($(wc -l <"$1") - 1)); else echo 0; fi; }

# Task 2's first run goes through this wrapper: it runs freedarts and stops it (SIGSTOP)
# as soon as its shard file holds a scored row, so that the scancel below lands in the
# middle of the shard whatever the machine's speed. Every other run is plain freedarts.
cat >"$tmp/stop-after-first-row" <<'EOF'
#!/bin/bash
set -u
if [ "${SLURM_ARRAY_TASK_ID:-}" != 2 ] || [ -e "$STOP_MARK" ]; then
	exec "$REAL_FREEDARTS" "$@"
fi
out= prev=
for a in "$@"; do
	if [ "$prev" = -out ]; then out=$a; fi
	prev=$a
done
"$REAL_FREEDARTS" "$@" &
pid=$!
for _ in $(seq 30000); do
	if [ -f "$out" ] && [ "$(wc -l <"$out")" -ge 2 ]; then
		kill -STOP "$pid"
		echo "$pid" >"$STOP_MARK"
		echo "stop-after-first-row: stopped freedarts (pid $pid) after $(($(wc -l <"$out") - 1)) rows" >&2
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.01
done
wait "$pid"
EOF
chmod +x "$tmp/stop-after-first-row"

say "submitting deploy/slurm/correlate.sbatch: 4 shards of 40 cells"
real=$FREEDARTS
jid=$(STOP_MARK=$tmp/stopped REAL_FREEDARTS=$real FREEDARTS=$tmp/stop-after-first-row \
	sbatch --parsable "${sbatch_opts[@]}" --output="$tmp/logs/correlate-%A_%a.out" deploy/slurm/correlate.sbatch) ||
	fail "sbatch deploy/slurm/correlate.sbatch"
jid=${jid%%;*}
say "array job $jid"
until [ -s "$tmp/stopped" ]; do
	[ "$SECONDS" -lt "$deadline" ] || fail "array task 2 never wrote a row (no $tmp/stopped)"
	case $(job_state "${jid}_2" 2>/dev/null) in
	PENDING | CONFIGURING | RUNNING | "") ;;
	COMPLETED) fail "array task 2 completed before it could be stopped" ;;
	*) fail "array task 2 ended before it wrote a row: $(job_state "${jid}_2")" ;;
	esac
	sleep 0.2
done
before=$(rows "$tmp/results/shard-2.csv")
say "task ${jid}_2 stopped after $before rows: scancel"
scancel "${jid}_2" || fail "scancel ${jid}_2"
wait_gone "$jid"
for t in 0 1 3; do
	s=$(job_state "${jid}_$t")
	[ "$s" = COMPLETED ] || fail "array task ${jid}_$t: state $s, want COMPLETED"
done
s=$(job_state "${jid}_2")
[ "$s" = CANCELLED ] || fail "array task ${jid}_2: state $s after scancel, want CANCELLED"
kept=$(rows "$tmp/results/shard-2.csv")
# The cells in flight when SIGTERM came are finished and written: at most a cell more.
if [ "$kept" -lt 1 ] || [ "$kept" -ge 10 ]; then
	fail "cancelled shard 2 holds $kept rows, want 1 to 9 of its 10"
fi
say "shard 2 cancelled with $kept of 10 rows; rerunning it alone (sbatch --array=2)"

jid2=$(sbatch --parsable "${sbatch_opts[@]}" --array=2 --output="$tmp/logs/correlate-%A_%a.out" deploy/slurm/correlate.sbatch) ||
	fail "sbatch --array=2 deploy/slurm/correlate.sbatch"
jid2=${jid2%%;*}
mid=$(sbatch --parsable --dependency="afterok:$jid2" --output="$tmp/logs/merge-%j.out" deploy/slurm/merge.sbatch) ||
	fail "sbatch --dependency=afterok:$jid2 deploy/slurm/merge.sbatch"
mid=${mid%%;*}
say "rerun $jid2, merge $mid (afterok:$jid2)"
wait_gone "$jid2" "$mid"
s=$(job_state "${jid2}_2")
[ "$s" = COMPLETED ] || fail "rerun of shard 2 (${jid2}_2): state $s, want COMPLETED"
log2=$tmp/logs/correlate-${jid2}_2.out
grep -q "($kept resumed)" "$log2" ||
	fail "the rerun of shard 2 did not say it resumed its $kept cells ('($kept resumed)' in $log2)"
s=$(job_state "$mid")
[ "$s" = COMPLETED ] || fail "merge job $mid: state $s, want COMPLETED"
say "shard 2 resumed its $kept cells; merge job done"
grep -q "(40 resumed)" "$tmp/logs/merge-$mid.out" ||
	fail "merge job: the correlate of study.csv did not resume its 40 cells"

# --- 4. the same study in one process ---------------------------------------------------
say "the same 40 cells in one process"
"$FREEDARTS" correlate -proxy "$FREEDARTS_PROXY" -draw per-cell -seed 0 -sample 40 -sample-seed 0 \
	-workers 1 -out "$tmp/one.csv" >"$tmp/logs/one.out" 2>&1 || fail "correlate -out one.csv (log: $tmp/logs/one.out)"
[ "$(rows "$tmp/one.csv")" = 40 ] || fail "one.csv has $(rows "$tmp/one.csv") rows, want 40"
cmp "$tmp/one.csv" "$tmp/results/study.csv" ||
	{ diff "$tmp/one.csv" "$tmp/results/study.csv" | head -20 >&2; fail "merged study.csv differs from the one-process study"; }
cmp "$tmp/one.csv.settings" "$tmp/results/study.csv.settings" ||
	{ diff "$tmp/one.csv.settings" "$tmp/results/study.csv.settings" >&2; fail "merged study.csv.settings differs from the one-process run's"; }
say "OK: 4 shards (one cancelled and resumed) merged into the one-process study byte for byte, in $SECONDS s"
