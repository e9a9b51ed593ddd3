package main

import "errors"

func benchMemory(o opts) (*result, error)     { return nil, errors.New("not yet") }
func benchCallRate(o opts) (*result, error)   { return nil, errors.New("not yet") }
func benchConcurrent(o opts) (*result, error) { return nil, errors.New("not yet") }
