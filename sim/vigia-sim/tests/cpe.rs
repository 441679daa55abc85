//! CPE addresses in a real network namespace answer ICMP exactly while their PPPoE session is
//! up. Needs root (namespaces) and fping; fails loudly without them.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use vigia_sim::Fault;

/// Two namespaces: `mon` (where an agent would ping from) and `cpe` (where the sim puts the
/// CPE addresses), joined by a veth; `mon` routes the CPE pools to `cpe`.
struct Netns {
    mon: String,
    cpe: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .expect("iproute2 is installed");
    assert!(
        out.status.success(),
        "`ip {}` failed (this test needs root): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

impl Netns {
    fn create() -> Self {
        let tag = format!("vsim{}", std::process::id());
        let n = Self {
            mon: format!("{tag}-mon"),
            cpe: format!("{tag}-cpe"),
        };
        for ns in [&n.mon, &n.cpe] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        ip(&[
            "-n", &n.mon, "link", "add", "c0", "type", "veth", "peer", "name", "m0", "netns",
            &n.cpe,
        ]);
        ip(&["-n", &n.mon, "addr", "add", "10.249.0.1/30", "dev", "c0"]);
        ip(&["-n", &n.cpe, "addr", "add", "10.249.0.2/30", "dev", "m0"]);
        ip(&["-n", &n.mon, "link", "set", "c0", "up"]);
        ip(&["-n", &n.cpe, "link", "set", "m0", "up"]);
        ip(&[
            "-n",
            &n.mon,
            "route",
            "add",
            "100.64.0.0/10",
            "via",
            "10.249.0.2",
        ]);
        ip(&[
            "-n",
            &n.cpe,
            "route",
            "add",
            "10.249.0.0/24",
            "via",
            "10.249.0.1",
        ]);
        n
    }
}

/// One echo from namespace `mon` to `address`: answered or not.
fn answers(mon: &str, address: &str) -> bool {
    Command::new("ip")
        .args(["netns", "exec", mon, "fping", "-c1", "-t300", "-q", address])
        .status()
        .expect("fping is installed")
        .success()
}

/// Polls (each poll is a 300 ms echo) until `address` answers or not as wanted, for at most 10 s.
async fn wait_for(mon: &str, address: &str, want: bool) -> bool {
    let (mon, address) = (mon.to_owned(), address.to_owned());
    tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if answers(&mon, &address) == want {
                return true;
            }
        }
        false
    })
    .await
    .expect("probe task")
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.mon, &self.cpe] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpes_answer_while_their_session_is_up() {
    let netns = Netns::create();
    let sim = vigia_sim::Sim::new(support::example());
    let follower = vigia_sim::cpe::follow(sim.clone(), netns.cpe.clone())
        .await
        .expect("the follower starts");
    let (joao, neighbour_elsewhere) = {
        let w = sim.world();
        let joao = w
            .subscriber("joao.silva")
            .expect("pinned")
            .cpe_ip
            .to_string();
        let other = w
            .subscriber("ana.pereira")
            .expect("pinned")
            .cpe_ip
            .to_string();
        (joao, other)
    };
    assert!(
        answers(&netns.mon, &joao),
        "joao's CPE answers in a healthy world"
    );

    let cut = sim
        .inject(Fault::PonCut {
            pon: "olt-centro/1/1".into(),
        })
        .expect("valid fault");
    let gone = wait_for(&netns.mon, &joao, false).await;
    assert!(gone, "joao's CPE stops answering after the PON cut");
    assert!(
        answers(&netns.mon, &neighbour_elsewhere),
        "a CPE on another OLT still answers"
    );

    assert!(sim.repair(cut));
    let back = wait_for(&netns.mon, &joao, true).await;
    assert!(back, "joao's CPE answers again after the repair");
    follower.abort();
}
