package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"ringdesk/internal/auth"
	"ringdesk/internal/store/database"
)

// user passwd LOGIN sets an account's password: the way back in when the admin password is
// lost.
func user(args []string) error {
	if len(args) < 2 || args[0] != "passwd" {
		return usageError{"user: usage: ringdesk user passwd LOGIN [--data DIR | --db URL]"}
	}
	login := args[1]
	fs := newFlags("user passwd")
	data := fs.str("data", "./ringdesk-data", "directory of the embedded database")
	db := fs.str("db", "", "postgres:// URL instead of the embedded database")
	if err := fs.parse(args[2:]); err != nil {
		return err
	}
	pw := os.Getenv("RINGDESK_PASSWORD")
	if pw == "" {
		fmt.Fprint(os.Stderr, "new password: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("no password given")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := database.Open(ctx, *data, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Site().Load(ctx)
	if err != nil {
		return err
	}
	for i := range s.Agents {
		if s.Agents[i].Login == login {
			s.Agents[i].PasswordHash = h
			if err := st.Site().Save(ctx, s); err != nil {
				return err
			}
			if err := st.Sessions().DeleteLogin(ctx, login); err != nil {
				return err
			}
			fmt.Printf("password of %s changed; its sessions are ended\n", login)
			return nil
		}
	}
	return fmt.Errorf("no account %q", login)
}
