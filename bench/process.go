package main

import (
	"os"
	"os/exec"
	"syscall"
	"time"
)

// startProcess runs a helper program in its own process group; the returned function stops
// it and its children.
func startProcess(name string, args ...string) (func(), error) {
	_, stop, err := startProcessPID(name, args...)
	return stop, err
}

// startProcessPID is startProcess that also says the program's process id, for reading its
// CPU time.
func startProcessPID(name string, args ...string) (int, func(), error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	return cmd.Process.Pid, func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		_ = os.Stderr
	}, nil
}
