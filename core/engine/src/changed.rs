//! [`Changed`]: a session setting changed at run time over the session's options.

use std::sync::Mutex;

/// A setting of a session as changed at run time (`None` until it is: the options' value
/// holds). One per setting type, as a feature state of the session.
#[derive(Debug)]
pub(crate) struct Changed<T>(Mutex<Option<T>>);

impl<T> Default for Changed<T> {
    fn default() -> Self {
        Changed(Mutex::new(None))
    }
}

impl<T: Copy> Changed<T> {
    /// The setting in force: the changed value, else `options_value`.
    pub(crate) fn get(&self, options_value: T) -> T {
        let changed = match self.0.lock() {
            Ok(changed) => *changed,
            Err(poisoned) => *poisoned.into_inner(),
        };
        changed.unwrap_or(options_value)
    }

    /// Replaces the setting.
    pub(crate) fn set(&self, value: T) {
        match self.0.lock() {
            Ok(mut changed) => *changed = Some(value),
            Err(poisoned) => *poisoned.into_inner() = Some(value),
        }
    }
}
