#include "services/lib/report/pdf.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

namespace caselink::report {

namespace {

namespace fs = std::filesystem;

// Removes the temporary directory whatever way print_pdf returns.
struct TempDir {
  fs::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

Result<pid_t> spawn(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return Error::unavailable("cannot start chromium: fork failed");
  if (pid == 0) {
    // Chromium's chatter goes to a log in the temporary directory, quoted on failure.
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// Waits for the child; kills it when it outlives `timeout`.
Result<int> wait_for(pid_t pid, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0) return Error::unavailable("lost track of chromium (waitpid failed)");
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Error::unavailable("chromium did not finish printing within " + std::to_string(timeout.count()) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a child's exit, not a condition stand-in
  }
}

std::string tail_of(const fs::path& log) {
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 600 ? text.substr(text.size() - 600) : text;
}

bool looks_like_pdf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[5] = {};
  in.read(magic, 5);
  return in.gcount() == 5 && std::string(magic, 5) == "%PDF-";
}

}  // namespace

Status print_pdf(const std::string& html, const std::string& out_path, const PdfOptions& options) {
  if (access(options.chromium.c_str(), X_OK) != 0) {
    return Error::not_found("no Chromium at " + options.chromium +
                            ": install Debian's package `chromium` (scripts/setup.sh does) or pass --chromium PATH");
  }
  std::string templ = (fs::temp_directory_path() / "caselink-report-XXXXXX").string();
  if (!mkdtemp(templ.data())) return Error::unavailable("cannot create a temporary directory for the page");
  TempDir dir{templ};
  const fs::path page = dir.path / "report.html";
  {
    std::ofstream out(page, std::ios::binary);
    out << html;
    if (!out) return Error::unavailable("cannot write " + page.string());
  }
  const fs::path target = fs::absolute(out_path);
  std::error_code ec;
  fs::remove(target, ec);
  const std::vector<std::string> args = {options.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                         "--no-first-run", "--disable-background-networking",
                                         "--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
                                         "--user-data-dir=" + (dir.path / "profile").string(),
                                         "--print-to-pdf=" + target.string(), "file://" + page.string()};
  auto pid = spawn(args, dir.path / "chromium.log");
  if (!pid.ok()) return pid.error();
  auto code = wait_for(*pid, options.timeout);
  if (!code.ok()) return code.error();
  if (*code != 0 || !looks_like_pdf(target.string())) {
    return Error::unavailable("chromium (exit " + std::to_string(*code) + ") wrote no PDF to " + target.string() +
                              "; its output ends: " + tail_of(dir.path / "chromium.log"));
  }
  return Status::success();
}

}  // namespace caselink::report
