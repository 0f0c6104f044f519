//! Waiting for a task to finish: poll its latest record (active store or archive) with
//! a short, growing delay until it is terminal or a time limit passes. The clock and the
//! sleep are parameters, so the loop is tested without waiting.

use std::time::{Duration, Instant};

use anyhow::Result;

use crate::task::Task;

/// The first delay between polls; each next one is 1.5 times longer, up to `MAX_DELAY`.
pub const FIRST_DELAY: Duration = Duration::from_millis(200);
pub const MAX_DELAY: Duration = Duration::from_secs(1);

/// How a wait ended.
#[derive(Debug)]
pub enum Waited {
    /// The task reached `completed`, `failed` or `cancelled`.
    Finished(Task),
    /// The limit passed first; the task's latest record.
    TimedOut(Task),
    /// No store or archive has the task.
    NotFound,
}

/// The clock and the sleep a wait uses.
pub trait Clock {
    fn now(&self) -> Instant;
    fn sleep(&self, delay: Duration);
}

/// The real clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, delay: Duration) {
        std::thread::sleep(delay);
    }
}

/// Calls `look` until it returns a terminal task, `None`, or `limit` has passed.
pub fn until_terminal(
    mut look: impl FnMut() -> Result<Option<Task>>,
    limit: Option<Duration>,
    clock: &impl Clock,
) -> Result<Waited> {
    let deadline = limit.map(|limit| clock.now() + limit);
    let mut delay = FIRST_DELAY;
    loop {
        let Some(task) = look()? else {
            return Ok(Waited::NotFound);
        };
        if task.status.is_terminal() {
            return Ok(Waited::Finished(task));
        }
        let now = clock.now();
        let pause = match deadline {
            Some(deadline) if now >= deadline => return Ok(Waited::TimedOut(task)),
            Some(deadline) => delay.min(deadline - now),
            None => delay,
        };
        clock.sleep(pause);
        delay = next_delay(delay);
    }
}

/// 200 ms, 300 ms, 450 ms, ... capped at one second.
pub fn next_delay(delay: Duration) -> Duration {
    (delay * 3 / 2).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::Status;
    use std::cell::{Cell, RefCell};

    struct FakeClock {
        start: Instant,
        elapsed: Cell<Duration>,
        sleeps: RefCell<Vec<Duration>>,
    }

    impl FakeClock {
        fn new() -> Self {
            FakeClock {
                start: Instant::now(),
                elapsed: Cell::new(Duration::ZERO),
                sleeps: RefCell::new(Vec::new()),
            }
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.start + self.elapsed.get()
        }
        fn sleep(&self, delay: Duration) {
            self.elapsed.set(self.elapsed.get() + delay);
            self.sleeps.borrow_mut().push(delay);
        }
    }

    fn task(status: Status) -> Task {
        Task {
            status,
            ..Task::blank()
        }
    }

    #[test]
    fn backs_off_up_to_a_second() {
        let mut d = FIRST_DELAY;
        for _ in 0..10 {
            d = next_delay(d);
        }
        assert_eq!(next_delay(FIRST_DELAY), Duration::from_millis(300));
        assert_eq!(d, MAX_DELAY);
    }

    #[test]
    fn returns_when_terminal() {
        let clock = FakeClock::new();
        let mut polls = 0;
        let waited = until_terminal(
            || {
                polls += 1;
                Ok(Some(task(match polls {
                    3 => Status::Failed,
                    _ => Status::Scheduled,
                })))
            },
            None,
            &clock,
        )
        .unwrap();
        assert!(matches!(waited, Waited::Finished(t) if t.status == Status::Failed));
        assert_eq!(clock.sleeps.borrow().len(), 2);
    }

    #[test]
    fn times_out_without_oversleeping() {
        let clock = FakeClock::new();
        let limit = Duration::from_millis(700);
        let waited =
            until_terminal(|| Ok(Some(task(Status::Executing))), Some(limit), &clock).unwrap();
        assert!(matches!(waited, Waited::TimedOut(_)));
        assert_eq!(clock.elapsed.get(), limit);
    }

    #[test]
    fn unknown_is_not_found() {
        let waited = until_terminal(|| Ok(None), None, &FakeClock::new()).unwrap();
        assert!(matches!(waited, Waited::NotFound));
    }
}
