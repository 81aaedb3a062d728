//! The tokio runtime the criterion benches run the coroutine model's pieces on.

/// A tokio runtime of either flavour, as the coroutine model builds them.
pub fn runtime(multi_thread: bool) -> tokio::runtime::Runtime {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    // A bench that cannot build its runtime has nothing to measure.
    builder.enable_all().build().expect("tokio runtime")
}
