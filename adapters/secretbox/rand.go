package secretbox

import "crypto/rand"

// randReader is the key source (crypto/rand).
var randReader = rand.Reader
