//! Load generator for `cargo xtask bench agent`: runs the real ping plugin through the plugin
//! host over `targets` consecutive IPv4 addresses, `rounds` times, on one thread, and prints one
//! JSON line: echoes sent and answered, wall time, and CPU time (user + system) of this process
//! during the rounds (loading and compiling the plugin excluded).
//!
//! Like the agent's scheduler, it splits the targets into runs of `batch` targets and runs
//! them concurrently.
//!
//! `ping_load PLUGIN_WASM first=10.251.0.1 targets=10000 batch=1000 rounds=5 count=1
//!  interval_ms=0 timeout_ms=1000 rate=25000 burst=100`

use std::net::Ipv4Addr;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use vigia_core::ObservationKind;
use vigia_plugin_host::{
    Grants, HostConfig, IcmpConfig, Limits, PluginHost, RunOutcome, RunRequest, Target,
};

mod support;

fn main() {
    let args = support::Args::parse("ping_load PLUGIN_WASM [key=value]...");
    let plugin_path = args.plugin_path.clone();
    let opt = |key: &str, default: &str| args.opt(key, default);
    let num = |key: &str, default: u64| -> u64 {
        opt(key, &default.to_string())
            .parse()
            .unwrap_or_else(|e| panic!("{key}: {e}"))
    };
    let first: Ipv4Addr = opt("first", "10.251.0.1")
        .parse()
        .expect("first is an IPv4 address");
    let (targets, rounds) = (num("targets", 10_000), num("rounds", 5));
    let batch = usize::try_from(num("batch", 1000))
        .expect("batch fits usize")
        .max(1);
    let config = json!({
        "count": num("count", 1),
        "interval_ms": num("interval_ms", 0),
        "timeout_ms": num("timeout_ms", 1000),
    });
    let icmp = IcmpConfig {
        echoes_per_sec: u32::try_from(num("rate", 25_000)).expect("rate fits u32"),
        burst: u32::try_from(num("burst", 100)).expect("burst fits u32"),
        ..IcmpConfig::default()
    };
    let targets: Vec<Target> = (0..u32::try_from(targets).expect("targets fits u32"))
        .map(|n| {
            let address = Ipv4Addr::from(u32::from(first) + n).to_string();
            Target {
                id: address.clone(),
                address,
                labels: Vec::new(),
            }
        })
        .collect();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let host = PluginHost::new(HostConfig {
            max_instances: 64,
            icmp,
            ..HostConfig::default()
        })
        .expect("host");
        let plugin = host
            .load_file(&plugin_path)
            .await
            .expect("ping plugin loads");
        let requests: Vec<RunRequest> = targets
            .chunks(batch)
            .map(|chunk| RunRequest {
                config: config.clone(),
                targets: chunk.to_vec(),
                grants: Grants {
                    icmp: true,
                    ..Grants::none()
                },
                limits: Limits {
                    deadline: Duration::from_secs(120),
                    max_observations: 1_000_000,
                    max_output_bytes: 1 << 30,
                    memory_bytes: 256 << 20,
                    ..Limits::default()
                },
            })
            .collect();
        let (mut sent, mut received, mut rtts) = (0u64, 0u64, Vec::new());
        let (cpu_start, started) = (support::cpu_seconds(), Instant::now());
        for _ in 0..rounds {
            let runs = requests
                .iter()
                .map(|request| host.run(&plugin, request.clone()));
            for report in join_all(runs).await {
                let RunOutcome::Completed(observations) = report.outcome else {
                    panic!("run failed: {:?}", report.outcome);
                };
                for o in observations {
                    if let ObservationKind::Reachability(r) = o.kind {
                        sent += u64::from(r.sent);
                        received += u64::from(r.received);
                        rtts.extend(r.rtt_avg_us);
                    }
                }
            }
        }
        let (wall, cpu) = (
            started.elapsed().as_secs_f64(),
            support::cpu_seconds() - cpu_start,
        );
        rtts.sort_unstable();
        let p50 = rtts.get(rtts.len() / 2).copied();
        println!(
            "{}",
            json!({"sent": sent, "received": received, "wall_s": wall, "cpu_s": cpu,
                   "rtt_p50_us": p50, "sockets": format!("{:?}", host.icmp_sockets())})
        );
    });
}

/// Awaits every future concurrently on the current task, outputs in order.
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
