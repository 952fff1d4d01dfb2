//go:build windows

package terminal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/breeze-rmm/breeze/protocol"
)

// Windows terminals run in a pseudo console (ConPTY, Windows 10 1809 and
// Server 2019 or later) through golang.org/x/sys/windows; the shell and
// whatever it starts live in a job object that is killed with the session.
// This file is cross-compiled and vetted here (make lint), not run: see the
// README for what is tested on which platform.

// start runs the shell in a new pseudo console.
func (s *session) start(f protocol.TerminalOpen, idle time.Duration) error {
	shell, err := pickShell(f.Shell)
	if err != nil {
		return err
	}
	cols, rows := clampSize(f.Cols, f.Rows)
	con, err := startConPTY(shell, cols, rows)
	if err != nil {
		return fmt.Errorf("start %s in a pseudo console: %w", shell, err)
	}
	s.begin(con, con.wait, idle)
	return nil
}

// conPTY is a pseudo console, our ends of its pipes, and the shell in it.
type conPTY struct {
	hpc     windows.Handle
	in      *os.File // the console's input: we write
	out     *os.File // the console's output: we read
	process windows.Handle
	job     windows.Handle // 0 when the job could not be made

	closeConsole sync.Once
	release      sync.Once
}

func startConPTY(shell string, cols, rows int) (_ *conPTY, err error) {
	var inR, inW, outR, outW windows.Handle
	if err := windows.CreatePipe(&inR, &inW, nil, 0); err != nil {
		return nil, fmt.Errorf("input pipe: %w", err)
	}
	if err := windows.CreatePipe(&outR, &outW, nil, 0); err != nil {
		_ = windows.CloseHandle(inR)
		_ = windows.CloseHandle(inW)
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	c := &conPTY{in: os.NewFile(uintptr(inW), "conpty-in"), out: os.NewFile(uintptr(outR), "conpty-out")}
	err = windows.CreatePseudoConsole(windows.Coord{X: int16(cols), Y: int16(rows)}, inR, outW, 0, &c.hpc)
	// The console duplicated its ends of the pipes; ours are not needed.
	_ = windows.CloseHandle(inR)
	_ = windows.CloseHandle(outW)
	if err != nil {
		_ = c.in.Close()
		_ = c.out.Close()
		return nil, fmt.Errorf("CreatePseudoConsole (needs Windows 10 1809 or later): %w", err)
	}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	attrs, err := windows.NewProcThreadAttributeList(1)
	if err != nil {
		return nil, fmt.Errorf("attribute list: %w", err)
	}
	defer attrs.Delete()
	// The attribute's value is the console handle itself, not a pointer to
	// it (UpdateProcThreadAttribute's contract); read it as a pointer-sized
	// word so no integer is converted to a pointer.
	if err = attrs.Update(windows.PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE, *(*unsafe.Pointer)(unsafe.Pointer(&c.hpc)), unsafe.Sizeof(c.hpc)); err != nil {
		return nil, fmt.Errorf("attach the console: %w", err)
	}
	si := &windows.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	si.Cb = uint32(unsafe.Sizeof(*si))
	// No inherited standard handles: the shell's must be the console's.
	si.Flags = windows.STARTF_USESTDHANDLES
	cmdline, err := windows.UTF16PtrFromString(windows.EscapeArg(shell))
	if err != nil {
		return nil, err
	}
	var dir *uint16
	if home, herr := os.UserHomeDir(); herr == nil {
		dir, _ = windows.UTF16PtrFromString(home)
	}
	var pi windows.ProcessInformation
	// Suspended until it is in the job, so nothing it starts escapes it.
	flags := uint32(windows.EXTENDED_STARTUPINFO_PRESENT | windows.CREATE_UNICODE_ENVIRONMENT | windows.CREATE_SUSPENDED)
	if err = windows.CreateProcess(nil, cmdline, nil, nil, false, flags, nil, dir, &si.StartupInfo, &pi); err != nil {
		return nil, fmt.Errorf("CreateProcess: %w", err)
	}
	c.process = pi.Process
	c.job = killOnCloseJob(pi.Process)
	_, rerr := windows.ResumeThread(pi.Thread)
	_ = windows.CloseHandle(pi.Thread)
	if rerr != nil {
		_ = windows.TerminateProcess(pi.Process, 1)
		_ = windows.CloseHandle(pi.Process)
		c.process = 0
		return nil, fmt.Errorf("resume the shell: %w", rerr)
	}
	return c, nil
}

// killOnCloseJob puts the process in a new job whose processes all die
// when the job's handle is closed; 0 when that fails (the shell then runs
// without one and only it is terminated at the end).
func killOnCloseJob(process windows.Handle) windows.Handle {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return 0
	}
	if err := windows.AssignProcessToJobObject(job, process); err != nil {
		_ = windows.CloseHandle(job)
		return 0
	}
	return job
}

func (c *conPTY) Read(p []byte) (int, error)  { return c.out.Read(p) }
func (c *conPTY) Write(p []byte) (int, error) { return c.in.Write(p) }

func (c *conPTY) resize(cols, rows int) {
	_ = windows.ResizePseudoConsole(c.hpc, windows.Coord{X: int16(cols), Y: int16(rows)})
}

// hangup closes the console (its clients get CTRL_CLOSE_EVENT and the
// output pipe ends); kill terminates the job, or the shell without one.
func (c *conPTY) hangup(kill bool) {
	if !kill {
		c.closeConsole.Do(func() { windows.ClosePseudoConsole(c.hpc) })
		return
	}
	if c.job != 0 {
		_ = windows.TerminateJobObject(c.job, 1)
	} else if c.process != 0 {
		_ = windows.TerminateProcess(c.process, 1)
	}
}

// Close releases the console, the pipes and the job (killing what is left
// in it). The process handle is wait's to close.
func (c *conPTY) Close() error {
	c.closeConsole.Do(func() { windows.ClosePseudoConsole(c.hpc) })
	c.release.Do(func() {
		_ = c.in.Close()
		_ = c.out.Close()
		if c.job != 0 {
			_ = windows.CloseHandle(c.job)
		}
	})
	return nil
}

// wait blocks until the shell exits and returns its exit code.
func (c *conPTY) wait() *int {
	defer windows.CloseHandle(c.process)
	if _, err := windows.WaitForSingleObject(c.process, windows.INFINITE); err != nil {
		return nil
	}
	var code uint32
	if err := windows.GetExitCodeProcess(c.process, &code); err != nil {
		return nil
	}
	v := int(code)
	return &v
}

// pickShell: the asked shell (absolute, or found on PATH), else PowerShell,
// else %ComSpec% (cmd.exe).
func pickShell(asked string) (string, error) {
	if asked != "" {
		if filepath.IsAbs(asked) {
			if fi, err := os.Stat(asked); err != nil || fi.IsDir() {
				return "", fmt.Errorf("shell %q is not an executable file", asked)
			}
			return asked, nil
		}
		p, err := exec.LookPath(asked)
		if err != nil {
			return "", fmt.Errorf("shell %q: %w", asked, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("powershell.exe"); err == nil {
		return p, nil
	}
	if cs := os.Getenv("ComSpec"); filepath.IsAbs(cs) {
		return cs, nil
	}
	return "", errors.New("no shell found (powershell.exe, %ComSpec%)")
}

// Supported reports whether this Windows has pseudo consoles (1809 or
// later); without them the agent does not claim the terminal capability.
func Supported() bool {
	return windows.NewLazySystemDLL("kernel32.dll").NewProc("CreatePseudoConsole").Find() == nil
}
