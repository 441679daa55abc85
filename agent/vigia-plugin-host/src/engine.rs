//! [`PluginHost`]: the wasmtime engine (pooling allocator, epoch interruption), the linker with
//! every import, the epoch ticker thread and the shared capability backends.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::HostError;
use crate::bindings::Plugin as PluginWorld;
use crate::budget::Budget;
use crate::cache::CompileCache;
use crate::capability::Services;
use crate::capability::icmp::{IcmpConfig, IcmpSocketInfo};
use crate::capability::kv::{KvStore, MemoryKv};
use crate::capability::secrets::{SecretMap, SecretStore};
use crate::state::HostState;

/// Settings of a [`PluginHost`], fixed for its lifetime.
#[derive(Clone)]
pub struct HostConfig {
    /// Instances that may exist at once (runs and describe calls in flight): the pool size.
    pub max_instances: u32,
    /// Ceiling of any instance's linear memory; [`crate::Limits::memory_bytes`] is clamped to it.
    pub memory_ceiling_bytes: u64,
    /// Epoch tick: the granularity of deadlines and how often a busy guest yields to tokio.
    pub epoch_tick: Duration,
    /// Deadline of the `describe` call made at load time.
    pub describe_deadline: Duration,
    /// Largest HTTP response body handed to a plugin.
    pub http_body_max_bytes: usize,
    pub kv: Arc<dyn KvStore>,
    pub secrets: Arc<dyn SecretStore>,
    /// Roots trusted for TLS besides the built-in Mozilla roots (private CAs).
    pub extra_root_certs: Vec<CertificateDer<'static>>,
    /// Call budgets by name (vendor API quotas), shared by every run whose grants name one.
    /// Kept in memory: a new host starts with every budget full.
    pub budgets: BTreeMap<String, Budget>,
    /// The ICMP engine: pacing and socket buffers.
    pub icmp: IcmpConfig,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            max_instances: 300,
            memory_ceiling_bytes: 256 << 20,
            epoch_tick: Duration::from_millis(10),
            describe_deadline: Duration::from_secs(2),
            http_body_max_bytes: 8 << 20,
            kv: Arc::new(MemoryKv::default()),
            secrets: Arc::new(SecretMap::default()),
            extra_root_certs: Vec::new(),
            budgets: BTreeMap::new(),
            icmp: IcmpConfig::default(),
        }
    }
}

/// Loads and runs plugins. Cheap to clone; all clones share one engine, one compile cache and
/// one set of capability backends. The epoch ticker thread stops when the last clone is dropped.
#[derive(Clone)]
pub struct PluginHost {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<HostState>,
    pub(crate) services: Arc<Services>,
    pub(crate) cache: CompileCache,
    pub(crate) memory_ceiling_bytes: u64,
    pub(crate) describe_deadline: Duration,
    /// Dropping it stops the ticker thread.
    _ticker: mpsc::Sender<()>,
}

impl PluginHost {
    /// Builds the engine and linker and starts the epoch ticker thread. Needs no runtime; runs
    /// need tokio, and the ICMP sockets live on the runtime of the first run that pings.
    pub fn new(config: HostConfig) -> Result<Self, HostError> {
        if config.max_instances == 0
            || config.memory_ceiling_bytes < 1 << 16
            || config.epoch_tick.is_zero()
        {
            return Err(HostError::Config {
                reason: "max_instances, memory_ceiling_bytes (>= 64 KiB) and epoch_tick must be positive".into(),
            });
        }
        config
            .icmp
            .check()
            .map_err(|reason| HostError::Config { reason })?;
        let engine = Engine::new(&engine_config(&config)).map_err(|e| HostError::Engine {
            reason: format!("{e:#}"),
        })?;
        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| HostError::Link {
            interface: "wasi",
            reason: format!("{e:#}"),
        })?;
        PluginWorld::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(|e| HostError::Link {
                interface: "vigia:plugin",
                reason: format!("{e:#}"),
            })?;
        let services = Arc::new(Services::new(&config)?);
        let ticker = start_ticker(engine.clone(), config.epoch_tick)?;
        Ok(Self {
            inner: Arc::new(Inner {
                engine,
                linker,
                services,
                cache: CompileCache::new(),
                memory_ceiling_bytes: config.memory_ceiling_bytes,
                describe_deadline: config.describe_deadline,
                _ticker: ticker,
            }),
        })
    }

    /// The ICMP sockets opened so far (they open on the first echo of each address family).
    pub fn icmp_sockets(&self) -> Vec<IcmpSocketInfo> {
        self.inner.services.icmp.sockets()
    }

    /// Components compiled so far (each distinct wasm binary is compiled once).
    pub fn compile_count(&self) -> u64 {
        self.inner.cache.compile_count()
    }

    /// Calls budget `name` allows right now; `None` when the host has no such budget.
    pub fn budget_available(&self, name: &str) -> Option<u32> {
        self.inner
            .services
            .budgets
            .available(name, tokio::time::Instant::now())
    }
}

/// Memory kept mapped per pooled slot between runs: a small plugin's stack, data and heap.
const KEEP_RESIDENT_BYTES: usize = 256 << 10;
const KEEP_RESIDENT_TABLE_BYTES: usize = 64 << 10;

fn engine_config(config: &HostConfig) -> wasmtime::Config {
    let n = config.max_instances;
    let ceiling = config.memory_ceiling_bytes;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(n)
        .total_core_instances(n.saturating_mul(4))
        .total_memories(n.saturating_mul(2))
        .total_tables(n.saturating_mul(4))
        .total_stacks(n)
        .max_memory_size(usize::try_from(ceiling).unwrap_or(usize::MAX))
        // Reset reused slots by rewriting only the pages a run dirtied (PAGEMAP_SCAN, Linux 6.7+)
        // instead of unmapping them: no TLB shootdowns, no page faults on the next run.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(KEEP_RESIDENT_BYTES)
        .table_keep_resident(KEEP_RESIDENT_TABLE_BYTES);
    let mut cfg = wasmtime::Config::new();
    cfg.epoch_interruption(true)
        // Reserve only the ceiling per memory (not 4 GiB): a few hundred slots stay cheap in
        // address space, at the cost of explicit bounds checks.
        .memory_reservation(ceiling)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    cfg
}

/// Ticks the engine's epoch every `tick` until the returned sender is dropped.
fn start_ticker(engine: Engine, tick: Duration) -> Result<mpsc::Sender<()>, HostError> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("vigia-epoch".into())
        .spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                engine.increment_epoch();
            }
        })
        .map_err(|e| HostError::Engine {
            reason: format!("cannot start the epoch ticker thread: {e}"),
        })?;
    Ok(stop)
}
