import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App, makeQueryClient } from './App'
import { applyTheme, loadTheme } from './theme/theme'
import './styles/theme.css'
import './styles/base.css'
import './styles/components.css'
import './styles/remote.css'
import './styles/plugins.css'
import './styles/home.css'
import './styles/discovery.css'

applyTheme(loadTheme())

const client = makeQueryClient()
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App client={client} />
  </StrictMode>,
)
