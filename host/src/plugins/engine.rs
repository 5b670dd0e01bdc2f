//! The two wasmtime engines (pooled, and on-demand for components too big for the pool) and the
//! epoch ticker that lets a running guest be interrupted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::{PluginHostConfig, PluginHostError};

/// How often the epoch advances: the granularity at which a busy guest yields to tokio and
/// is checked against its deadline.
pub(super) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Bytes of each pooled table and stack zeroed in place on reuse instead of decommitted.
const KEEP_RESIDENT: usize = 128 << 10;
/// Bytes of each pooled linear memory scanned on reuse (Linux `PAGEMAP_SCAN`, kernel >= 6.7):
/// only the pages the last call touched are reset in place, the rest are left alone. Rust
/// guests put a 1 MiB stack first and their data and heap after it, so a window smaller than
/// that kept nothing the calls use; this one covers a plugin call's usual footprint. Without
/// the ioctl wasmtime would memset the whole window, so then the small window is used.
const MEMORY_KEEP_RESIDENT: usize = 4 << 20;
/// Slots decommitted together, so one TLB shootdown covers many instances.
const DECOMMIT_BATCH: usize = 32;

pub(super) struct Engines {
    pub pooled: Engine,
    pub on_demand: Engine,
    stop: Arc<AtomicBool>,
}

impl Engines {
    pub fn new(config: &PluginHostConfig) -> Result<Self, PluginHostError> {
        let mut pool = PoolingAllocationConfig::default();
        let pagemap = PoolingAllocationConfig::is_pagemap_scan_available();
        let n = config.max_instances.max(1);
        pool.total_component_instances(n)
            .total_core_instances(n * 4)
            .total_memories(n * 2)
            .total_tables(n * 4)
            .total_stacks(n)
            .max_memory_size(config.memory_limit_bytes)
            // Instances are short-lived (one call each): resetting a slot with madvise costs a
            // syscall, a TLB shootdown across cores and a copy-on-write fault per page touched
            // again. Resetting touched pages in place and decommitting the rest in batches is
            // cheaper at this rate.
            .linear_memory_keep_resident(if pagemap {
                MEMORY_KEEP_RESIDENT
            } else {
                KEEP_RESIDENT
            })
            .pagemap_scan(if pagemap {
                wasmtime::Enabled::Yes
            } else {
                wasmtime::Enabled::No
            })
            .table_keep_resident(KEEP_RESIDENT)
            .async_stack_keep_resident(KEEP_RESIDENT)
            .decommit_batch_size(DECOMMIT_BATCH);
        let mut pooled_cfg = base_config();
        pooled_cfg.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let pooled =
            Engine::new(&pooled_cfg).map_err(|e| PluginHostError::Engine(e.to_string()))?;
        let on_demand =
            Engine::new(&base_config()).map_err(|e| PluginHostError::Engine(e.to_string()))?;

        // Epochs must advance outside the async executor: a guest spinning on a tokio worker
        // would otherwise starve the very task that should interrupt it.
        let stop = Arc::new(AtomicBool::new(false));
        let (a, b, s) = (pooled.clone(), on_demand.clone(), stop.clone());
        std::thread::Builder::new()
            .name("sgsched-epoch".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    a.increment_epoch();
                    b.increment_epoch();
                }
            })
            .map_err(|e| PluginHostError::Engine(e.to_string()))?;
        Ok(Self {
            pooled,
            on_demand,
            stop,
        })
    }
}

impl Drop for Engines {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn base_config() -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true)
        .epoch_interruption(true)
        .memory_init_cow(true);
    c
}
