//! The tasks of a session or a manager: every task the engine starts belongs to one [`Tasks`]
//! set, runs on the engine's runtime and is waited for when its owner closes.

use std::future::Future;
use std::sync::Mutex;

use tokio::runtime::Handle;
use tokio::task::JoinSet;

/// A set of background tasks on one runtime. Finished tasks are reaped as new ones start.
#[derive(Debug)]
pub(crate) struct Tasks {
    runtime: Handle,
    set: Mutex<JoinSet<()>>,
}

impl Tasks {
    /// An empty set whose tasks run on `runtime`.
    pub(crate) fn new(runtime: Handle) -> Self {
        Tasks {
            runtime,
            set: Mutex::new(JoinSet::new()),
        }
    }

    /// The runtime the tasks run on.
    pub(crate) fn runtime(&self) -> &Handle {
        &self.runtime
    }

    /// Starts `task` in this set.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut set = match self.set.lock() {
            Ok(set) => set,
            Err(poisoned) => poisoned.into_inner(),
        };
        while set.try_join_next().is_some() {}
        set.spawn_on(task, &self.runtime);
    }

    /// How many tasks are still running (finished ones not reaped yet count too).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.set.lock().map_or(0, |set| set.len())
    }

    /// Waits until every task of the set has ended, including tasks they start meanwhile.
    pub(crate) async fn wait(&self) {
        loop {
            let mut taken = match self.set.lock() {
                Ok(mut set) => std::mem::take(&mut *set),
                Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
            };
            if taken.is_empty() {
                return;
            }
            while let Some(ended) = taken.join_next().await {
                if let Err(err) = ended
                    && err.is_panic()
                {
                    tracing::error!(%err, "an engine task panicked");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn wait_returns_after_every_task_including_ones_started_meanwhile() {
        let tasks = Arc::new(Tasks::new(Handle::current()));
        let done = Arc::new(AtomicU32::new(0));
        for _ in 0..3 {
            let (tasks2, done) = (tasks.clone(), done.clone());
            tasks.spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                let done2 = done.clone();
                tasks2.spawn(async move {
                    done2.fetch_add(1, Ordering::SeqCst);
                });
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        tasks.wait().await;
        assert_eq!(done.load(Ordering::SeqCst), 6);
        assert_eq!(tasks.len(), 0);
    }
}
