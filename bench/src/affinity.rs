//! CPU pinning: each measured process on one CPU, its fixed counterpart (the load generator or
//! the lean echo server) on another.
//!
//! On a 2-core machine the scheduler otherwise decides the figures: a loopback wake-up pulls the
//! woken process onto the waker's CPU, and while the two share it every library's large-message
//! rows fall to about half their throughput, at random from run to run. Pinning applies to every
//! library alike and only with one runtime thread (`--threads 1`, the default).

use std::sync::OnceLock;

/// The environment variable that tells a child (`serve`, `client-run`) which CPU to pin to.
pub(crate) const CPU_VAR: &str = "WSSTREAM_BENCH_CPU";

/// The CPU of the fixed counterpart threads of this process, once chosen.
static COUNTERPART: OnceLock<Option<usize>> = OnceLock::new();

/// The CPUs this process may run on, in order.
fn allowed() -> Vec<usize> {
    // SAFETY: sched_getaffinity writes at most `size_of::<cpu_set_t>()` bytes into `set`, and
    // CPU_ISSET reads it within that size.
    unsafe {
        let mut set = std::mem::zeroed::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize).filter(|&c| libc::CPU_ISSET(c, &set)).collect()
    }
}

/// Pins the calling thread (and the threads it creates afterwards) to `cpu`.
pub(crate) fn pin_current_thread(cpu: usize) {
    // SAFETY: CPU_SET writes within `set`; sched_setaffinity reads `size_of::<cpu_set_t>()`.
    unsafe {
        let mut set = std::mem::zeroed::<libc::cpu_set_t>();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Chooses the two CPUs, when pinning is wanted and there are two: returns the measured
/// process's, and makes [`pin_counterpart`] use the other.
pub(crate) fn choose(pin: bool) -> Option<usize> {
    let cpus = allowed();
    let pair = if pin && cpus.len() >= 2 { Some((cpus[0], cpus[1])) } else { None };
    let _ = COUNTERPART.set(pair.map(|(_, c)| c));
    pair.map(|(m, _)| m)
}

/// Pins the calling thread to the counterpart CPU, if [`choose`] chose one.
pub(crate) fn pin_counterpart() {
    if let Some(Some(cpu)) = COUNTERPART.get() {
        pin_current_thread(*cpu);
    }
}

/// In a child: pins the whole process to the CPU its parent named, if any. Call before any
/// thread is spawned.
pub(crate) fn pin_from_env() {
    if let Some(cpu) = std::env::var(CPU_VAR).ok().and_then(|v| v.parse().ok()) {
        pin_current_thread(cpu);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_may_run_somewhere() {
        assert!(!allowed().is_empty());
    }
}
