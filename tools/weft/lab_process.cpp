// Child processes for `weft lab`: fork and exec with pipes, bounded waits, detached daemons.
#include "lab_process.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

namespace weft::cli::lab {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::atomic<int> g_signal{0};           // the signal the guard's thread saw
std::atomic<pid_t> g_waited_child{0};   // the child run_command waits for, if any

std::string errno_text() { return std::strerror(errno); }

// The child's half after fork: stdin from /dev/null, stdout and stderr to `out` and `err`,
// signals as a fresh program expects them, then exec. Only async-signal-safe calls from here
// on (we may have threads).
[[noreturn]] void exec_child(const std::vector<std::string>& argv, char* const* args, int out, int err) {
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);  // we ignore it; `ip` and weft expect the default
    ::execvp(argv[0].c_str(), args);
    ::_exit(127);
}

std::vector<char*> c_args(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    return args;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}

// The first line of a command's complaint, for one-line errors.
std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line.empty() ? "(no message)" : line;
}

}  // namespace

Interrupted::Interrupted(int s) : std::runtime_error("interrupted by signal " + std::to_string(s)), signo(s) {}

namespace {
std::atomic<bool> g_watcher_stopping{false};
std::atomic<int> g_cleaning{0};  // CleanupScopes alive
sigset_t g_old_mask;
}  // namespace

InterruptGuard::InterruptGuard() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    // Blocked here, so every thread started from now on has them blocked and only the
    // watcher takes them with sigwait.
    ::pthread_sigmask(SIG_BLOCK, &set, &g_old_mask);
    g_signal = 0;
    g_watcher_stopping = false;
    watcher_ = std::thread([set] {
        for (;;) {
            int signo = 0;
            if (::sigwait(&set, &signo) != 0) continue;
            if (g_watcher_stopping) return;
            g_signal = signo;
            if (g_cleaning > 0) continue;  // recorded; the cleanup goes on
            if (pid_t child = g_waited_child.load(); child > 0) ::kill(child, SIGTERM);
        }
    });
}

InterruptGuard::~InterruptGuard() {
    g_watcher_stopping = true;
    ::pthread_kill(watcher_.native_handle(), SIGTERM);  // wakes its sigwait; it sees the flag
    watcher_.join();
    ::pthread_sigmask(SIG_SETMASK, &g_old_mask, nullptr);
}

CleanupScope::CleanupScope() { ++g_cleaning; }
CleanupScope::~CleanupScope() { --g_cleaning; }

int interrupted() noexcept { return g_signal.load(); }

void throw_if_interrupted() {
    if (g_cleaning > 0) return;
    if (int s = g_signal.load()) throw Interrupted(s);
}

std::string command_line(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& a : argv) line += (line.empty() ? "" : " ") + a;
    return line;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    throw_if_interrupted();
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + errno_text());
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        throw std::runtime_error("pipe: " + errno_text());
    }
    std::vector<char*> args = c_args(argv);
    const pid_t pid = ::fork();
    if (pid == 0) {
        exec_child(argv, args.data(), out_pipe[1], err_pipe[1]);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (pid < 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        throw std::runtime_error(command_line(argv) + ": fork: " + errno_text());
    }
    g_waited_child = pid;
    CommandResult result;
    const auto deadline = Clock::now() + timeout;
    bool killed = false;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_pipes = 2;
    while (open_pipes > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if ((left <= 0ms || (interrupted() && g_cleaning == 0)) && !killed) {
            ::kill(pid, SIGKILL);  // ours, by PID: out of time, or the user wants out
            killed = true;
        }
        const int n = ::poll(fds, 2, killed ? 1000 : static_cast<int>(std::min<long long>(left.count() + 1, 200)));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_pipes;
            }
        }
        if (killed && n == 0) break;  // a grandchild holds the pipe open: stop reading
    }
    for (pollfd& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    // Wait for its end without reaping it first: while it is a zombie its PID cannot be
    // reused, so the watcher's kill can never reach another process.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    g_waited_child = 0;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = decode_status(status);
    throw_if_interrupted();
    if (killed) throw std::runtime_error(command_line(argv) + ": no answer within " +
                                         std::to_string(timeout.count() / 1000) + " s");
    if (result.exit_code == 127 && result.err.empty())
        throw std::runtime_error(command_line(argv) + ": cannot run " + argv[0] + " (not installed?)");
    return result;
}

std::string run_checked(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    CommandResult r = run_command(argv, timeout);
    if (r.exit_code != 0)
        throw std::runtime_error(command_line(argv) + ": exit " + std::to_string(r.exit_code) + ": " +
                                 first_line(r.err.empty() ? r.out : r.err));
    return std::move(r.out);
}

std::optional<unsigned long long> start_time_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!in || !std::getline(in, stat)) return std::nullopt;
    // "pid (comm) state ...": comm may hold spaces and parentheses, so read after the last ')'.
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field, state;
    fields >> state;
    if (state == "Z" || state == "X") return std::nullopt;
    // After state come fields 4..21; the start time is field 22.
    for (int i = 4; i <= 21 && fields >> field; ++i) {
    }
    unsigned long long start = 0;
    if (!(fields >> start)) return std::nullopt;
    return start;
}

bool alive(const ProcessRecord& p) {
    if (p.pid <= 0) return false;
    const auto start = start_time_of(p.pid);
    return start && *start == p.start_time;
}

bool stop_process(const ProcessRecord& p, std::chrono::milliseconds grace) {
    if (!alive(p)) return true;
    ::kill(p.pid, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (alive(p) && Clock::now() < deadline) std::this_thread::sleep_for(10ms);  // polling, bounded
    if (!alive(p)) return true;
    ::kill(p.pid, SIGKILL);
    const auto last = Clock::now() + 2s;
    while (alive(p) && Clock::now() < last) std::this_thread::sleep_for(10ms);
    return !alive(p);
}

ProcessRecord start_detached(const std::vector<std::string>& argv, const std::string& log_path) {
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) throw std::runtime_error("cannot write '" + log_path + "': " + errno_text());
    int pid_pipe[2];
    if (::pipe2(pid_pipe, O_CLOEXEC) != 0) {
        ::close(log);
        throw std::runtime_error("pipe: " + errno_text());
    }
    std::vector<char*> args = c_args(argv);
    const pid_t middle = ::fork();
    if (middle == 0) {
        // The middle process starts a new session and forks the daemon, then exits: the
        // daemon is adopted by init and never becomes our zombie.
        ::setsid();
        const pid_t daemon = ::fork();
        if (daemon == 0) exec_child(argv, args.data(), log, log);
        const pid_t sent = daemon;
        (void)!::write(pid_pipe[1], &sent, sizeof sent);
        ::_exit(daemon > 0 ? 0 : 1);
    }
    ::close(log);
    ::close(pid_pipe[1]);
    if (middle < 0) {
        ::close(pid_pipe[0]);
        throw std::runtime_error(command_line(argv) + ": fork: " + errno_text());
    }
    pid_t daemon = -1;
    const ssize_t got = ::read(pid_pipe[0], &daemon, sizeof daemon);
    ::close(pid_pipe[0]);
    int status = 0;
    while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof daemon || daemon <= 0) throw std::runtime_error(command_line(argv) + ": fork failed");
    ProcessRecord record{daemon, 0};
    // The start time is readable as soon as the process exists; it may already have failed.
    if (auto start = start_time_of(daemon)) record.start_time = *start;
    return record;
}

Child start_child(const std::vector<std::string>& argv, const std::string& out_path) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) throw std::runtime_error("cannot write '" + out_path + "': " + errno_text());
    std::vector<char*> args = c_args(argv);
    const pid_t pid = ::fork();
    if (pid == 0) exec_child(argv, args.data(), out, out);
    ::close(out);
    if (pid < 0) throw std::runtime_error(command_line(argv) + ": fork: " + errno_text());
    return Child{pid};
}

int stop_child(Child& c, int sig, std::chrono::milliseconds timeout) {
    if (c.pid <= 0) return 0;
    ::kill(c.pid, sig);
    int status = 0;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
        if (r == c.pid) break;
        if (r < 0 && errno != EINTR) {
            c.pid = 0;
            return 1;
        }
        if (Clock::now() >= deadline) {
            ::kill(c.pid, SIGKILL);
            while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        std::this_thread::sleep_for(10ms);  // polling the child's exit, bounded by the deadline
    }
    c.pid = 0;
    return decode_status(status);
}

std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) throw std::runtime_error("readlink /proc/self/exe: " + errno_text());
    return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace weft::cli::lab
