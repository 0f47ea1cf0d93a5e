#pragma once
// A child process for multi-process tests: started with posix_spawn, its output captured to a
// log file (printed when a test wants to show why something failed), killed on destruction.
// A child that starts children of its own (a browser) can be given its own process group, so
// that every kill reaches the whole group and nothing outlives the test.

#include <string>
#include <sys/types.h>
#include <vector>

namespace grid::test {

class ChildProcess {
public:
  enum class Group { shared, own };
  ChildProcess(std::string name, std::vector<std::string> argv, Group group = Group::shared);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void kill_hard();  // SIGKILL, as a crash or a pulled plug
  // SIGTERM, then waits up to `limit_ms` for the exit; returns the exit code, or -1 on a timeout
  // (then the child is killed) or a death by signal.
  int terminate(int limit_ms = 3000);
  // Waits for a natural exit up to `limit_ms`; the exit code, or -1.
  int wait(int limit_ms);
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;
  const std::string& name() const { return name_; }

private:
  std::string name_;
  std::string log_path_;
  // What kill() is sent to: the child, or its whole process group.
  pid_t target() const { return group_ == Group::own ? -pid_ : pid_; }

  Group group_;
  pid_t pid_ = -1;
  int status_ = -1;
  bool reaped_ = false;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, released).
int free_port();
// True once something accepts TCP connections on 127.0.0.1:port, within limit_ms.
bool wait_for_port(int port, int limit_ms = 10000);

}  // namespace grid::test
