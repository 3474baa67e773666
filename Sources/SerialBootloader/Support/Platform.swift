// The transports call Linux interfaces (termios2 through CSerialSupport, Linux ioctls, Glibc); the package is
// built and tested on Linux only and says so here rather than failing somewhere inside.
#if !os(Linux)
#error("espflash-swift builds on Linux only: its serial transports use termios2, Linux ioctls and Glibc")
#endif
