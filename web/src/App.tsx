import { lazy, Suspense, useState } from 'react'
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { BrowserRouter, MemoryRouter, Route, Routes } from 'react-router'
import { ApiError } from './api/client'
import { AuthProvider } from './auth/session'
import { LoginPage } from './auth/LoginPage'
import { RequireAuth } from './auth/RequireAuth'
import { AppLayout, Home, NotFound } from './layout/AppLayout'
import { Loading } from './ui/States'

// Every section is its own chunk: the first load carries the shell and the sign-in page only.
const TotpEnrollPage = lazy(() => import('./auth/TotpEnrollPage'))
const DeviceListPage = lazy(() => import('./devices/DeviceListPage'))
const DevicePage = lazy(() => import('./devices/DevicePage'))
const EnrollmentKeysPage = lazy(() => import('./enroll/EnrollmentKeysPage'))
const UsersPage = lazy(() => import('./admin/UsersPage'))
const RolesPage = lazy(() => import('./admin/RolesPage'))
const ApiKeysPage = lazy(() => import('./admin/ApiKeysPage'))
const PartnerSecurityPage = lazy(() => import('./tenant/PartnerSecurityPage'))
const AuditPage = lazy(() => import('./audit/AuditPage'))
const ScriptListPage = lazy(() => import('./scripts/ScriptListPage'))
const ScriptEditorPage = lazy(() => import('./scripts/ScriptEditorPage'))
const RunViewPage = lazy(() => import('./scripts/RunViewPage'))
const PluginsPage = lazy(() => import('./plugins/PluginsPage'))
const PluginPage = lazy(() => import('./plugins/PluginPage'))
const AgentUpdatesPage = lazy(() => import('./updates/AgentUpdatesPage'))
const AlertsPage = lazy(() => import('./alerts/AlertsPage'))
const AlertDetailPage = lazy(() => import('./alerts/AlertDetailPage'))
const AlertRulesPage = lazy(() => import('./alerts/AlertRulesPage'))
const HomePage = lazy(() => import('./home/HomePage'))
const NotificationRoutesPage = lazy(() => import('./notify/NotificationRoutesPage'))
const DeadLettersPage = lazy(() => import('./notify/DeadLettersPage'))
const MaintenancePage = lazy(() => import('./maintenance/MaintenancePage'))
const SchedulesPage = lazy(() => import('./schedules/SchedulesPage'))
const ScheduleHistoryPage = lazy(() => import('./schedules/ScheduleHistoryPage'))
const AssetsPage = lazy(() => import('./discovery/AssetsPage'))
const AssetPage = lazy(() => import('./discovery/AssetPage'))
const ProfilesPage = lazy(() => import('./discovery/ProfilesPage'))
const ProfilePage = lazy(() => import('./discovery/ProfilePage'))

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: false,
        // 4xx answers will not change on retry; network and 5xx errors might.
        retry: (n, e) => n < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
      },
    },
  })
}

export function AppRoutes() {
  return (
    <Suspense fallback={<Loading />}>
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireAuth />}>
          <Route path="/enroll-totp" element={<TotpEnrollPage />} />
          <Route element={<AppLayout />}>
            <Route index element={<Home />} />
            <Route path="home" element={<HomePage />} />
            <Route path="devices" element={<DeviceListPage />} />
            <Route path="devices/:id" element={<DevicePage />} />
            <Route path="alerts" element={<AlertsPage />} />
            <Route path="alerts/:id" element={<AlertDetailPage />} />
            <Route path="alert-rules" element={<AlertRulesPage />} />
            <Route path="notifications" element={<NotificationRoutesPage />} />
            <Route path="notifications/dead-letters" element={<DeadLettersPage />} />
            <Route path="maintenance" element={<MaintenancePage />} />
            <Route path="scripts" element={<ScriptListPage />} />
            <Route path="scripts/new" element={<ScriptEditorPage />} />
            <Route path="scripts/:id" element={<ScriptEditorPage />} />
            <Route path="script-runs/:id" element={<RunViewPage />} />
            <Route path="schedules" element={<SchedulesPage />} />
            <Route path="schedules/:id" element={<ScheduleHistoryPage />} />
            <Route path="discovery" element={<AssetsPage />} />
            <Route path="discovery/assets/:id" element={<AssetPage />} />
            <Route path="discovery/profiles" element={<ProfilesPage />} />
            <Route path="discovery/profiles/:id" element={<ProfilePage />} />
            <Route path="enrollment-keys" element={<EnrollmentKeysPage />} />
            <Route path="users" element={<UsersPage />} />
            <Route path="roles" element={<RolesPage />} />
            <Route path="api-keys" element={<ApiKeysPage />} />
            <Route path="partner-security" element={<PartnerSecurityPage />} />
            <Route path="audit" element={<AuditPage />} />
            <Route path="plugins" element={<PluginsPage />} />
            <Route path="plugins/:id" element={<PluginPage />} />
            <Route path="agent-updates" element={<AgentUpdatesPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Route>
      </Routes>
    </Suspense>
  )
}

/** The whole app; tests pass a QueryClient and a start URL (MemoryRouter). */
export function App({ client, initialPath }: { client?: QueryClient; initialPath?: string }) {
  const [qc] = useState(() => client ?? makeQueryClient())
  const routes = (
    <AuthProvider>
      <AppRoutes />
    </AuthProvider>
  )
  return (
    <QueryClientProvider client={qc}>
      {initialPath ? (
        <MemoryRouter initialEntries={[initialPath]}>{routes}</MemoryRouter>
      ) : (
        <BrowserRouter>{routes}</BrowserRouter>
      )}
    </QueryClientProvider>
  )
}
