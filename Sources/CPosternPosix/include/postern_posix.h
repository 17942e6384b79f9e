#ifndef POSTERN_POSIX_H
#define POSTERN_POSIX_H
#include <stdio.h>
#include <signal.h>

// Swift 6 refuses the mutable stdio globals; these return them.
FILE *postern_stdin(void);
FILE *postern_stdout(void);
FILE *postern_stderr(void);

/// Installs a SIGINT handler that only sets a flag, without SA_RESTART, so a blocking read
/// returns EINTR and the CLI can abandon the current command.
int postern_install_interrupt_handler(void);
/// Returns whether SIGINT arrived since the last call, and clears the flag.
int postern_take_interrupt(void);

/// Installs a SIGHUP handler (the SSH connection dropped) that only sets a flag, without
/// SA_RESTART, so a blocking read returns and the session can end cleanly.
int postern_install_hangup_handler(void);
/// Whether SIGHUP arrived (the flag stays set).
int postern_hangup_received(void);

/// Installs a SIGALRM handler that only sets a flag, without SA_RESTART, so a read waiting
/// at the prompt returns when `alarm(2)` ends the admin's inactivity timeout.
int postern_install_idle_handler(void);
/// Whether the inactivity alarm went off (the flag stays set).
int postern_idle_expired(void);

/// The terminal's height in rows (TIOCGWINSZ: ioctl is variadic, which Swift cannot call);
/// 0 when fd is not a terminal or the size is unknown.
int postern_terminal_rows(int fd);
#endif
