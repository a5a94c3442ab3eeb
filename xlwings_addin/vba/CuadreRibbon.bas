Attribute VB_Name = "CuadreRibbon"
' Cuadre ribbon callbacks. Each button runs one ribbon script of cuadre.xl.scripts on the
' active workbook through xlwings' RunPython (the xlwings module of this add-in). The
' scripts write their own sheets, show progress in the status bar and report problems in
' a message box and on the Issues sheet.
Option Explicit

Private Sub RunCuadre(verb As String)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the close workbook first (start from Cuadre Close.xlsx).", vbInformation, "Cuadre"
        Exit Sub
    End If
    RunPython "import cuadre.xl.scripts as s; s.xl_" & verb & "()"
End Sub

Sub CuadreRibbonLoaded(ribbon As IRibbonUI)
    ' Descriptions and argument help of the CUADRE_* functions for the Function Wizard.
    On Error Resume Next
    RegisterCuadreFunctions
End Sub

Sub CuadreImportBank(control As IRibbonControl)
    RunCuadre "import"
End Sub

Sub CuadreImportErp(control As IRibbonControl)
    RunCuadre "import"
End Sub

Sub CuadreImportFiscal(control As IRibbonControl)
    RunCuadre "import"
End Sub

Sub CuadreMatch(control As IRibbonControl)
    RunCuadre "match"
End Sub

Sub CuadrePost(control As IRibbonControl)
    RunCuadre "post"
End Sub

Sub CuadreAging(control As IRibbonControl)
    RunCuadre "aging"
End Sub

Sub CuadreClose(control As IRibbonControl)
    RunCuadre "close"
End Sub

Sub CuadreWorklist(control As IRibbonControl)
    RunCuadre "collections"
End Sub

Sub CuadreDunning(control As IRibbonControl)
    RunCuadre "collections"
End Sub

Sub CuadreStatements(control As IRibbonControl)
    RunCuadre "collections"
End Sub

Sub CuadreReconcileGL(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreReconcileBank(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreReconcileCustomer(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreReconcileTax(control As IRibbonControl)
    RunCuadre "reconcile"
End Sub

Sub CuadreAccruals(control As IRibbonControl)
    RunCuadre "accruals"
End Sub

Sub CuadreEvidence(control As IRibbonControl)
    RunCuadre "evidence"
End Sub

Sub CuadreSettings(control As IRibbonControl)
    On Error GoTo NoSheet
    ActiveWorkbook.Worksheets("Settings").Activate
    Exit Sub
NoSheet:
    MsgBox "This workbook has no Settings sheet. Start from Cuadre Close.xlsx (cuadre template).", vbInformation, "Cuadre"
End Sub

Sub CuadreHelp(control As IRibbonControl)
    MsgBox "Cuadre closes accounts receivable: paste the inputs (OpenItems, Bank, Customers, GL), " & _
        "set the close date on Settings, then Match payments and Aging." & vbCrLf & vbCrLf & _
        "Functions: type =CUADRE_ in a cell to see them (CUADRE_AGING_BUCKET, CUADRE_NIT_DV...)." & vbCrLf & _
        "The README sheet of the close workbook explains each sheet.", vbInformation, "Cuadre"
End Sub

Sub CuadreAbout(control As IRibbonControl)
    MsgBox "Cuadre add-in, built on xlwings " & XLWINGS_VERSION & "." & vbCrLf & _
        "Python settings: the cuadre.conf sheet of this add-in.", vbInformation, "Cuadre"
End Sub
