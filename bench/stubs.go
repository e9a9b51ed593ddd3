package main

import "errors"

func benchCallRate(o opts) (*result, error)   { return nil, errors.New("not yet") }
func benchConcurrent(o opts) (*result, error) { return nil, errors.New("not yet") }
