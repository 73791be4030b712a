#!/usr/bin/env bash
# A three-node RabbitMQ cluster with its MQTT plugin on loopback ports, for tests and a trial.
#
#   deploy/rabbitmq-cluster.sh start          start three nodes (2 and 3 join 1), wait until ready
#   deploy/rabbitmq-cluster.sh stop           stop every node (the data stays in the folder)
#   deploy/rabbitmq-cluster.sh status         the cluster as node 1 sees it
#   deploy/rabbitmq-cluster.sh url            COURIER_MQTT_URL for the bridge and the simulator
#   deploy/rabbitmq-cluster.sh kill-node N    SIGKILL node N (1-3), as a power cut would
#   deploy/rabbitmq-cluster.sh start-node N   start node N again; it rejoins the cluster
#   deploy/rabbitmq-cluster.sh node N         node N's Erlang name (for rabbitmqctl -n)
#
# Settings (environment):
#   RABBITMQ_CLUSTER_DIR   folder for data, logs, configs and the Erlang cookie
#                          (default var/rabbitmq-cluster in the repository)
#   RABBITMQ_CLUSTER_NAME  prefix of the node names, so that clusters can run side by side
#                          (default courier: courier-1@localhost, ...)
#   RABBITMQ_CLUSTER_PORT  first port (default 26000); node N uses PORT+10(N-1) for AMQP, +1 MQTT,
#                          +2 Erlang distribution, +3 management (keep clear of 25672, the system
#                          node's distribution port, and 35672-35682, where rabbitmqctl listens)
#   RABBITMQ_CLUSTER_MANAGEMENT  1 (default) enables the management plugin (http://127.0.0.1:PORT+3/)
#
# Every node is an ordinary Debian rabbitmq-server (3.10 or later) started as the calling user
# (the Debian wrapper would switch to the rabbitmq user and its /var/lib folder; this cluster
# keeps everything in its own folder). MQTT sessions of clients that connect with
# clean_session=false live in quorum queues replicated on all three nodes, so a node can die
# without losing a session or a message it accepted.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${RABBITMQ_CLUSTER_DIR:-$here/var/rabbitmq-cluster}"
NAME="${RABBITMQ_CLUSTER_NAME:-courier}"
PORT="${RABBITMQ_CLUSTER_PORT:-26000}"
MANAGEMENT="${RABBITMQ_CLUSTER_MANAGEMENT:-1}"
NODES=(1 2 3)

# The scripts themselves, not Debian's /usr/sbin wrappers (which su to the rabbitmq user).
if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  BIN=/usr/lib/rabbitmq/bin
else
  BIN="$(dirname "$(command -v rabbitmq-server || echo /nonexistent/rabbitmq-server)")"
fi
[ -x "$BIN/rabbitmq-server" ] || { echo "rabbitmq-server is not installed" >&2; exit 2; }

node() { echo "$NAME-$1@localhost"; }
amqp_port() { echo $((PORT + 10 * ($1 - 1))); }
mqtt_port() { echo $((PORT + 10 * ($1 - 1) + 1)); }
dist_port() { echo $((PORT + 10 * ($1 - 1) + 2)); }
management_port() { echo $((PORT + 10 * ($1 - 1) + 3)); }

# Every command of this script, server and CLI alike, finds the shared cookie in $HOME and none
# of the system's settings under /etc/rabbitmq.
environment() {
  local n="$1" folder="$DIR/node$1"
  export HOME="$DIR"
  export RABBITMQ_CONF_ENV_FILE="$DIR/rabbitmq-env.conf"
  export RABBITMQ_NODENAME="$(node "$n")"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$(amqp_port "$n")"
  export RABBITMQ_DIST_PORT="$(dist_port "$n")"
  export RABBITMQ_CONFIG_FILE="$folder/rabbitmq.conf"
  export RABBITMQ_ADVANCED_CONFIG_FILE="$folder/advanced.config"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$folder/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$folder/mnesia"
  export RABBITMQ_MNESIA_DIR="$folder/mnesia/$(node "$n")"
  export RABBITMQ_LOG_BASE="$folder/log"
  export RABBITMQ_PID_FILE="$folder/rabbitmq.pid"
  export ERL_EPMD_ADDRESS=127.0.0.1
  # A command-line tool that cannot reach its node would leave its dump in the current folder.
  export ERL_CRASH_DUMP="$folder/log/erl_crash.dump"
  # One scheduler and no busy-waiting: three nodes share a small machine with everything else.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="+S 1:1 +sbwt none +sbwtdcpu none +sbwtdio none -kernel inet_dist_use_interface {127,0,0,1}"
}

ctl() { # ctl N args...: rabbitmqctl against node N
  local n="$1"
  shift
  (environment "$n" && "$BIN/rabbitmqctl" -n "$(node "$n")" "$@")
}

configure() {
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  if [ ! -s "$DIR/.erlang.cookie" ]; then
    (umask 077 && head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$DIR/.erlang.cookie")
    chmod 400 "$DIR/.erlang.cookie"
  fi
  : >"$DIR/rabbitmq-env.conf"
  local n plugins
  plugins="rabbitmq_mqtt"
  [ "$MANAGEMENT" = 1 ] && plugins="$plugins,rabbitmq_management"
  for n in "${NODES[@]}"; do
    mkdir -p "$DIR/node$n/mnesia" "$DIR/node$n/log"
    echo "[$plugins]." >"$DIR/node$n/enabled_plugins"
    echo "[]." >"$DIR/node$n/advanced.config"
    {
      echo "listeners.tcp.default = 127.0.0.1:$(amqp_port "$n")"
      echo "mqtt.listeners.tcp.default = 127.0.0.1:$(mqtt_port "$n")"
      echo "mqtt.allow_anonymous = true"
      echo "mqtt.durable_queue_type = quorum"
      # Queued messages of a persistent session wait up to the session expiry of the
      # MQTT 5 path (docs/mqtt.md): a bridge may be away for a week.
      echo "mqtt.subscription_ttl = 604800000"
      echo "mqtt.prefetch = 100"
      echo "loopback_users = none"
      # Node 1 is the seed: the others join it when they first boot.
      echo "cluster_formation.peer_discovery_backend = classic_config"
      echo "cluster_formation.classic_config.nodes.1 = $(node 1)"
      echo "cluster_formation.discovery_retry_limit = 300"
      echo "cluster_formation.discovery_retry_interval = 1000"
      # A node that lost its peers stops serving instead of forming a minority of its own.
      echo "cluster_partition_handling = pause_minority"
      if [ "$MANAGEMENT" = 1 ]; then
        echo "management.tcp.ip = 127.0.0.1"
        echo "management.tcp.port = $(management_port "$n")"
      fi
    } >"$DIR/node$n/rabbitmq.conf"
  done
}

running() { ctl "$1" -q ping >/dev/null 2>&1; }

start_node() {
  local n="$1"
  if running "$n"; then
    return 0
  fi
  (
    environment "$n"
    # Its own session, so that a test runner's Ctrl-C or process group does not reach it.
    setsid "$BIN/rabbitmq-server" >"$DIR/node$n/log/console.log" 2>&1 </dev/null &
  )
}

wait_node() {
  local n="$1"
  ctl "$n" -q wait --timeout 240 "$DIR/node$n/rabbitmq.pid" >/dev/null
}

wait_mqtt() {
  local n="$1" _
  for _ in $(seq 1 240); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$(mqtt_port "$n")") 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "node $n: MQTT port $(mqtt_port "$n") never opened" >&2
  return 1
}

members() { # how many nodes node 1 sees running
  ctl 1 -q eval 'length(rabbit_nodes:all_running()).' 2>/dev/null || echo 0
}

start() {
  local n
  configure
  if [ -d "$DIR/node1/mnesia/$(node 1)" ]; then
    # A cluster that ran before: each node waits for the others' tables, so all start at once.
    for n in "${NODES[@]}"; do start_node "$n"; done
  else
    # Nodes 2 and 3 join node 1 as they first boot (the peer list in their configuration), so
    # node 1 must run by then; started any earlier, they race for its lock.
    start_node 1
    wait_node 1
    start_node 2
    start_node 3
  fi
  for n in "${NODES[@]}"; do wait_node "$n"; done
  for n in "${NODES[@]}"; do wait_mqtt "$n"; done
  local _
  for _ in $(seq 1 120); do
    [ "$(members)" = 3 ] && break
    sleep 0.5
  done
  [ "$(members)" = 3 ] || { echo "the cluster did not form" >&2; exit 1; }
  echo "cluster $NAME ready: $(url)"
}

stop() {
  local n
  for n in "${NODES[@]}"; do
    if running "$n"; then ctl "$n" -q stop >/dev/null 2>&1 || true; fi
  done
}

kill_node() {
  local n="$1" pid
  pid="$(cat "$DIR/node$n/rabbitmq.pid")"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

url() {
  local n hosts=()
  for n in "${NODES[@]}"; do hosts+=("127.0.0.1:$(mqtt_port "$n")"); done
  local IFS=,
  echo "mqtt://${hosts[*]}?version=3.1.1"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ctl 1 cluster_status ;;
  url) url ;;
  node) node "${2:?node number}" ;;
  kill-node) kill_node "${2:?node number}" ;;
  start-node)
    start_node "${2:?node number}"
    wait_node "$2"
    wait_mqtt "$2"
    ;;
  *)
    sed -n '2,10p' "$0" >&2
    exit 64
    ;;
esac
