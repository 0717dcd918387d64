#pragma once
// Child processes for `weft lab` and the tour's journey: `ip` and `sysctl` run to completion
// with their output kept; daemons started detached, known afterwards by their PID and the
// kernel's start time for it (so a recycled PID is never mistaken for ours) and stopped by
// those only. An interrupt (SIGINT/SIGTERM) seen by interrupt_guard stops the child being
// waited for and turns into an Interrupted exception at the next wait.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace weft::cli::lab {

/// Thrown by the waits below once SIGINT or SIGTERM arrived under an InterruptGuard.
struct Interrupted : std::runtime_error {
    explicit Interrupted(int signo);
    int signo;
};

/// While one exists, SIGINT and SIGTERM are not fatal: a thread waits for them, records the
/// signal and terminates the child process being waited for (by its PID), so that the
/// caller unwinds through its cleanup. Children start with the signals unblocked again.
class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    std::thread watcher_;
};

/// While one exists, a signal is recorded but interrupts nothing: the cleanup after an
/// interrupt (stopping daemons, removing namespaces) must run to its end.
class CleanupScope {
public:
    CleanupScope();
    ~CleanupScope();
    CleanupScope(const CleanupScope&) = delete;
    CleanupScope& operator=(const CleanupScope&) = delete;
};

/// The signal that arrived under the guard, or 0.
int interrupted() noexcept;
/// Throws Interrupted when a signal arrived (never inside a CleanupScope).
void throw_if_interrupted();

struct CommandResult {
    int exit_code = 0;  ///< the exit status; 128+N when killed by signal N
    std::string out;    ///< its standard output
    std::string err;    ///< its standard error
};

/// Runs argv (looked up in PATH) to completion, for at most `timeout` (then it is killed).
/// Throws std::runtime_error when it cannot be started, Interrupted on a signal.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20));
/// The same; a non-zero exit throws "ip netns add weft-lab-host: exit 1: <its stderr>".
/// Returns its standard output.
std::string run_checked(const std::vector<std::string>& argv,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20));
/// "ip netns add weft-lab-host": argv as one line, for messages.
std::string command_line(const std::vector<std::string>& argv);

/// A process we started, as a PID file holds it: "PID START_TIME".
struct ProcessRecord {
    pid_t pid = 0;
    unsigned long long start_time = 0;  ///< field 22 of /proc/PID/stat
};

/// The start time of a live (not zombie) process, or nullopt.
std::optional<unsigned long long> start_time_of(pid_t pid);
/// True when the recorded process still runs (same PID and start time, not a zombie).
bool alive(const ProcessRecord& p);
/// SIGTERM, up to `grace` for it to end, then SIGKILL; true when it is gone.
bool stop_process(const ProcessRecord& p, std::chrono::milliseconds grace);

/// Starts argv detached: its own session (a terminal's Ctrl-C does not reach it), not our
/// child (it outlives us), stdin from /dev/null, stdout and stderr appended to log_path.
ProcessRecord start_detached(const std::vector<std::string>& argv, const std::string& log_path);

/// A child of ours with its output going to a file; waited for, or stopped, by its PID.
struct Child {
    pid_t pid = 0;
};
/// Starts argv as our child with stdout and stderr to out_path (truncated).
Child start_child(const std::vector<std::string>& argv, const std::string& out_path);
/// Sends sig to the child and reaps it within `timeout` (SIGKILL after that); the exit code.
int stop_child(Child& c, int sig, std::chrono::milliseconds timeout);

/// The path of this program (/proc/self/exe resolved), for starting weft again.
std::string self_exe();

}  // namespace weft::cli::lab
