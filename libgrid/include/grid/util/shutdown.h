#pragma once
// Clean shutdown on SIGINT/SIGTERM without work in a signal handler: the signals are blocked in
// every thread (call block_shutdown_signals() before starting any thread) and the main thread
// waits for one synchronously, then stops the node through its own control path.

namespace grid {

void block_shutdown_signals();

// Blocks until SIGINT or SIGTERM arrives; returns the signal number.
int wait_for_shutdown_signal();

}  // namespace grid
