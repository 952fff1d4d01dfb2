// Package app groups Breeze's use cases, one package per capability:
// auth (sign-in, tokens, principals), access (users, roles, grants, API keys),
// audit (the per-request audit note). They import core/domain and ports only.
//
// Plain tenant CRUD (partners, orgs, sites, device groups) has no use case of
// its own: the HTTP edge calls the scoped store with the principal's scope for
// the route's permission, which is the whole rule.
package app
