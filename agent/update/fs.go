package update

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// File is a file being written.
type File interface {
	io.Writer
	Sync() error
	Close() error
}

// FS is what the update does to the disk (the OS's, or a failing one in
// tests).
type FS interface {
	Create(name string) (File, error)
	Open(name string) (io.ReadCloser, error)
	Rename(oldpath, newpath string) error
	Link(oldpath, newpath string) error
	Remove(name string) error
	Chmod(name string, mode fs.FileMode) error
}

// OS is the real file system.
type OS struct{}

func (OS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o700)
}
func (OS) Open(name string) (io.ReadCloser, error)   { return os.Open(name) }
func (OS) Rename(oldpath, newpath string) error      { return os.Rename(oldpath, newpath) }
func (OS) Link(oldpath, newpath string) error        { return os.Link(oldpath, newpath) }
func (OS) Chmod(name string, mode fs.FileMode) error { return os.Chmod(name, mode) }
func (OS) Remove(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
