package engine_test

import "errors"

func asCoder(err error, c *interface{ Code() int }) bool { return errors.As(err, c) }
