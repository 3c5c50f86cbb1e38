# A minimal Shiny app for the hubify fixture images (served at /srv/shiny-server/hello, as Rocker's
# shiny-server examples are).
library(shiny)

ui <- fluidPage(
  titlePanel("hubify fixture"),
  sliderInput("n", "Number", min = 1, max = 10, value = 3),
  textOutput("square")
)

server <- function(input, output, session) {
  output$square <- renderText(paste("Square:", input$n^2))
}

shinyApp(ui, server)
