//! The shared simulator state: the world behind a lock, and the stream of changes.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::scenario::Scenario;
use crate::world::{Change, Fault, FaultError, World};

/// Changes kept for slow followers before they lag (and resynchronise).
const CHANGE_BUFFER: usize = 65_536;

/// The simulated ISP, shared by every server.
#[derive(Debug)]
pub struct Sim {
    world: RwLock<World>,
    changes: broadcast::Sender<Change>,
    scenario: Scenario,
}

impl Sim {
    pub fn new(scenario: Scenario) -> Arc<Self> {
        let world = World::build(&scenario, OffsetDateTime::now_utc());
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        Arc::new(Self {
            world: RwLock::new(world),
            changes,
            scenario,
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Reads the world. Hold the guard briefly and never across an `.await`.
    pub fn world(&self) -> RwLockReadGuard<'_, World> {
        self.world
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        self.world
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Follows session and CPE changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// How many followers the change stream has now (each open RouterOS `listen`, the CPE
    /// follower): tests wait on it to know a listen is open before they inject a fault.
    pub fn followers(&self) -> usize {
        self.changes.receiver_count()
    }

    /// Injects a fault; returns its id.
    pub fn inject(&self, fault: Fault) -> Result<u64, FaultError> {
        let mut world = self.world_mut();
        let (id, changes) = world.inject(fault, OffsetDateTime::now_utc())?;
        self.publish(changes);
        Ok(id)
    }

    /// Repairs one fault; false if there was no such fault.
    pub fn repair(&self, id: u64) -> bool {
        let mut world = self.world_mut();
        match world.repair(id, OffsetDateTime::now_utc()) {
            Some(changes) => {
                self.publish(changes);
                true
            }
            None => false,
        }
    }

    /// Repairs everything.
    pub fn repair_all(&self) {
        let mut world = self.world_mut();
        let changes = world.repair_all(OffsetDateTime::now_utc());
        self.publish(changes);
    }

    fn publish(&self, changes: Vec<Change>) {
        for change in changes {
            // No follower is fine: nobody listens yet.
            let _ = self.changes.send(change);
        }
    }
}
